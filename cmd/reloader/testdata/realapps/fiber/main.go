// A stock fiber v2 app (fasthttp underneath): app.Listen(addr).
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/gofiber/fiber/v2"
)

const version = "v1"

func main() {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprintf("version=%s pid=%d\n", version, os.Getpid()))
	})
	log.Fatal(app.Listen("ADDR"))
}
