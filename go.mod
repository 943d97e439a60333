module github.com/calbridge/calbridge

go 1.26

require (
	github.com/emersion/go-ical v0.0.0-20250329121855-f41e73efc392
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
)

require (
	github.com/teambition/rrule-go v1.8.2 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
