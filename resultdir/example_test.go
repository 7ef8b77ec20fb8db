package resultdir_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/microstim/microstim/resultdir"
)

// A run writes into the staging folder and commits; until Commit, the
// destination keeps the previous complete run.
func Example() {
	dest := filepath.Join(os.TempDir(), "microstim-example", "afraz2006")
	defer os.RemoveAll(filepath.Dir(dest))
	f, err := resultdir.Create(dest)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Abort() // removes the staging folder if the run fails
	os.WriteFile(filepath.Join(f.Path, "summary.json"), []byte("{}\n"), 0o644)
	if err := f.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(filepath.Join(dest, "summary.json"))
	fmt.Printf("%s", b)
	fmt.Println(resultdir.IsResult(dest))
	// Output:
	// {}
	// true
}
