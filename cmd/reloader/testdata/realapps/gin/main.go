// A stock gin app: r.Run(addr).
package main

import (
	"fmt"
	"os"

	"github.com/gin-gonic/gin"
)

const version = "v1"

func main() {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		c.String(200, fmt.Sprintf("version=%s pid=%d\n", version, os.Getpid()))
	})
	if err := r.Run("ADDR"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
