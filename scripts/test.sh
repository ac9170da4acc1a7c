#!/bin/bash
# The whole test suite, as CI runs it. First every module, with the servers the tests start on
# four gateway instances (the test kit's default), so an endpoint's nodes land on instances
# other than the one holding its queue, and each cluster member's endpoints spread over its
# instances; then every test of a server the test kit starts, standalone or clustered, again on
# one instance. The other CLI tests run once: they start servers from config files with the
# default (one per core). Last, the JavaScript client's tests, in Node and in headless chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
# a failing test is run once more and reported as a flake (surefire lists it under "Flakes"):
# ClusterRoutingTest.whatANodeServedThroughAnotherGatewayNeverSawGoesBackWhenItDisconnects
# failed once in about 10 runs on one instance (2026-12-06), cause not found yet
RERUN=-Dsurefire.rerunFailingTestsCount=1
echo "+ mvn -B test $RERUN   (gateway.instances 4)"
mvn -B test $RERUN
echo "+ mvn -B test $RERUN -Dwsmsg.test.gatewayInstances=1   (server and cluster tests again on one instance)"
mvn -B test $RERUN -pl wsmsg-tests -am -Dwsmsg.test.gatewayInstances=1 -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io.wsmsg.gateway.**,io.wsmsg.server.**,io.wsmsg.client.**,io.wsmsg.persistence.**,io.wsmsg.metrics.**,io.wsmsg.router.**,io.wsmsg.registry.**,io.wsmsg.tls.**,io.wsmsg.management.**,io.wsmsg.cluster.**,io.wsmsg.cli.Cluster*,io.wsmsg.cli.BenchClusterTest'
# the JavaScript client (clients/js): unit, end-to-end (real servers from bin/wsmsg) and browser
# tests (headless chromium, which .ci/run installs)
echo "+ (cd clients/js && npm ci && npm test)   (the JavaScript client, in Node and in chromium)"
(cd clients/js && npm ci --no-audit --no-fund && npm test)
