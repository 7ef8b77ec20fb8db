package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateCommand(t *testing.T) {
	if err := runValidate([]string{"../../configs/afraz2006.toml"}); err != nil {
		t.Errorf("shipped config: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("protocol = \"afraz2006\"\n[perturbation]\nfrequency_Hz = 5000\n"), 0o644)
	err := runValidate([]string{bad})
	if err == nil || !strings.Contains(err.Error(), "bad.toml:3") || !strings.Contains(err.Error(), "perturbation.frequency_Hz = 5000") {
		t.Errorf("bad config: %v", err)
	}
	if err := runValidate(nil); err == nil {
		t.Error("no file accepted")
	}
}

func TestRunRejectsBadInvocation(t *testing.T) {
	if err := runRun(nil); err == nil || !strings.Contains(err.Error(), "config file") {
		t.Errorf("no config: %v", err)
	}
	if err := runRun([]string{"a.toml", "b.toml"}); err == nil {
		t.Error("two configs accepted")
	}
	if err := runModel([]string{"sideways"}); err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Errorf("unknown model subcommand: %v", err)
	}
}

func TestTrainRejectsMissingData(t *testing.T) {
	dir := t.TempDir()
	err := runTrain([]string{"--data", filepath.Join(dir, "nothing"), "--out", dir, "--quiet"})
	if err == nil || !strings.Contains(err.Error(), "nothing") {
		t.Errorf("missing data folder: %v", err)
	}
}
