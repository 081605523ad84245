// A stock echo app: e.Start(addr).
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
)

const version = "v1"

func main() {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/", func(c echo.Context) error {
		return c.String(http.StatusOK, fmt.Sprintf("version=%s pid=%d\n", version, os.Getpid()))
	})
	e.Logger.Fatal(e.Start("ADDR"))
}
