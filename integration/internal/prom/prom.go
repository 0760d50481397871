// Package prom reads Prometheus text endpoints for the integration tests:
// the gateway's exporter and the Collectors' own metrics.
package prom

import (
	"context"
	"fmt"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape fetches a Prometheus text endpoint and parses it.
func Scrape(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// labelsMatch reports whether m has every label of want.
func labelsMatch(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// Sum adds the values of the series of a counter, gauge or untyped family
// that have the labels (for a histogram, the counts), and reports whether
// the family exists.
func Sum(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var total float64
	for _, m := range f.GetMetric() {
		if !labelsMatch(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Untyped != nil:
			total += m.GetUntyped().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total, true
}

// HistogramSum adds the sums of the samples of a histogram family's series
// that have the labels (the _sum series in the text format), and reports
// whether the family exists.
func HistogramSum(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var total float64
	for _, m := range f.GetMetric() {
		if labelsMatch(m, labels) {
			total += m.GetHistogram().GetSampleSum()
		}
	}
	return total, true
}

// Wait polls url until the sum of the metric's series with the labels
// equals want. It returns an error, with the last value seen, after timeout,
// or as soon as the sum exceeds want (the metric is a counter).
func Wait(url, name string, labels map[string]string, want float64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "not scraped yet"
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		fams, err := Scrape(ctx, url)
		cancel()
		if err != nil {
			last = err.Error()
		} else if v, ok := Sum(fams, name, labels); !ok {
			last = "no such metric"
		} else if v == want {
			return nil
		} else if v > want {
			return fmt.Errorf("%s%v at %s is %v, want %v", name, labels, url, v, want)
		} else {
			last = fmt.Sprint(v)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s%v at %s: want %v within %v; last: %s", name, labels, url, want, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
