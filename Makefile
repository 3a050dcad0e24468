# Convenience only: the README's commands and scripts/test.sh are the contract.
.PHONY: build demo test lint bench
build:
	go build -o bin/borderwatch ./cmd/borderwatch
demo:
	go run ./cmd/borderwatch demo
test:
	scripts/test.sh
lint:
	go vet ./... && golangci-lint run ./...
bench:
	go test -run '^$$' -bench . -benchmem ./...
