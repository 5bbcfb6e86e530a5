//go:build tools

// The Go tools the deployment tests run, pinned by this module's go.sum and
// built by scripts/deploy/tools.sh (`go install` from this folder):
// kustomize (renders k8s/ overlays) and kubeconform (validates them).
package tools

import (
	_ "github.com/yannh/kubeconform/cmd/kubeconform"
	_ "sigs.k8s.io/kustomize/kustomize/v5"
)
