//go:build unix

package portdoctor

import (
	"os"
	"testing"

	"github.com/reloader-dev/reloader/internal/portholder"
)

func TestMain(m *testing.M) {
	portholder.RunIfAsked()
	os.Exit(m.Run())
}
