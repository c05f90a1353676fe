// Command kube-schemas writes strict JSON schemas for the Kubernetes kinds the Helm chart renders, in the file layout
// kubeconform reads ({kind}-{group}-{version}.json). They are reflected from the Go types the API server itself
// decodes (k8s.io/api, the Prometheus Operator's API), so the check needs no download from outside the Go module
// proxy. Strict: a field the type does not have, or a field of the wrong type, fails validation.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type kind struct {
	apiVersion string
	value      any
}

var kinds = []kind{
	{"apps/v1", appsv1.Deployment{}},
	{"v1", corev1.Service{}},
	{"v1", corev1.Secret{}},
	{"v1", corev1.ConfigMap{}},
	{"policy/v1", policyv1.PodDisruptionBudget{}},
	{"monitoring.coreos.com/v1", monitoringv1.ServiceMonitor{}},
}

// Types that marshal to something other than their Go shape.
func mapper(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeOf(resource.Quantity{}):
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}}}
	case reflect.TypeOf(intstr.IntOrString{}):
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "string"}, {Type: "integer"}}}
	case reflect.TypeOf(metav1.Time{}), reflect.TypeOf(metav1.MicroTime{}):
		return &jsonschema.Schema{Type: "string"}
	}
	return nil
}

// kubeconform's file name: kind, then the group's first label (none for the core group), then the version.
func fileName(apiVersion string, value any) string {
	name := strings.ToLower(reflect.TypeOf(value).Name())
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		return fmt.Sprintf("%s-%s.json", name, group)
	}
	return fmt.Sprintf("%s-%s-%s.json", name, strings.ToLower(strings.Split(group, ".")[0]), version)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kube-schemas OUTPUT_DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[1], 0o755); err != nil {
		panic(err)
	}
	for _, k := range kinds {
		reflector := jsonschema.Reflector{
			AllowAdditionalProperties: false,
			ExpandedStruct:            true,
			Mapper:                    mapper,
		}
		schema := reflector.Reflect(k.value)
		out, err := json.MarshalIndent(schema, "", "  ")
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(os.Args[1], fileName(k.apiVersion, k.value)), out, 0o644); err != nil {
			panic(err)
		}
	}
}
