#!/bin/bash
# The whole test suite, as CI runs it. First every module, with the servers the tests start on
# four gateway instances (the test kit's default), so an endpoint's nodes land on instances
# other than the one holding its queue; then every test of a standalone server again on one
# instance. Cluster and CLI tests run once: a clustered member runs one instance anyway, and
# the CLI tests start servers from config files with the default (one per core).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "+ mvn -B test   (gateway.instances 4)"
mvn -B test
echo "+ mvn -B test -Dwsmsg.test.gatewayInstances=1   (standalone-server tests again on one instance)"
mvn -B test -pl wsmsg-tests -am -Dwsmsg.test.gatewayInstances=1 -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io.wsmsg.gateway.**,io.wsmsg.server.**,io.wsmsg.client.**,io.wsmsg.persistence.**,io.wsmsg.metrics.**,io.wsmsg.router.**,io.wsmsg.registry.**,io.wsmsg.tls.**,io.wsmsg.management.**'
