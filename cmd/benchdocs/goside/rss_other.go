//go:build !unix

package main

import "errors"

func maxRSSKiB() (int64, error) {
	return 0, errors.New("peak resident memory: getrusage is Unix's")
}
