// Package compose checks the demo stack of docker-compose.yml at the
// repository root. Docker cannot run in the test environment, so the tests
// load the file with the compose-spec loader (the library `docker compose`
// itself uses) and check it: services, pinned images, published ports,
// environment, build contexts and Dockerfiles that exist, dependencies, and
// that every URL in the environment names a service and a port it listens
// on. TestStackWithoutDocker then runs the same wiring as local processes:
// it builds the packages the Dockerfiles build, starts them with the
// environment from the file (container host names mapped to local ports),
// Jaeger from package jaegertest in place of the image, runs
// deploy/load.sh, and reads the traces the docs describe back from Jaeger.
//
// The package has only tests.
package compose
