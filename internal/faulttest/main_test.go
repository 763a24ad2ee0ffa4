package faulttest

import (
	"os"
	"testing"

	"github.com/jitgate/jitgate/internal/cluster/clustertest"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }
