# wsmsg server image. Build and run one:   docker build -t wsmsg:local . && docker run -p 8765:8765 wsmsg:local
# docker-compose.yml runs three clustered gateways from it (see the README, "Run a cluster").
#
# Stage 1 builds target/wsmsg.jar (tests are run by CI, not here).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml cluster.xml ./
COPY conf/ conf/
# The reactor reads every module's pom; only the four that make up the jar need their sources.
COPY wsmsg-tests/pom.xml wsmsg-tests/
COPY wsmsg-protocol/ wsmsg-protocol/
COPY wsmsg-client/ wsmsg-client/
COPY wsmsg-server/ wsmsg-server/
COPY wsmsg-cli/ wsmsg-cli/
RUN mvn -B -DskipTests -pl wsmsg-cli -am package

# Stage 2: the jar, cluster.xml, the configuration files and the JVM flags on a JRE, as a non-root user.
FROM eclipse-temurin:17-jre
# curl: the compose healthcheck asks /ready over https, checking the server certificate against the CA.
# /app/data belongs to group 0 too: docker-compose.yml runs the gateways as the owner of ./certs
# (WSMSG_UID, group 0), so the keys can stay readable by their owner only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system wsmsg \
 && useradd --system --gid wsmsg --home-dir /app --no-create-home --shell /usr/sbin/nologin wsmsg \
 && mkdir -p /app/data /app/certs \
 && chown wsmsg:0 /app/data \
 && chmod 2770 /app/data
WORKDIR /app
COPY --from=build /build/target/wsmsg.jar /app/wsmsg.jar
COPY cluster.xml bin/jvm-flags /app/
COPY conf/ /app/conf/
USER wsmsg
# WebSocket, management (its host is 127.0.0.1 unless WSMSG_MANAGEMENT_HOST=0.0.0.0), Hazelcast.
# TLS: mount certificates (e.g. on /app/certs, read-only) and set WSMSG_TLS_CERT/KEY and
# WSMSG_CLUSTER_TLS_CERT/KEY/CA to them; see "TLS and certificates" in README.md.
EXPOSE 8765 8766 5701
# Relative paths in the configuration (dataDir ./data, cluster.configFile cluster.xml) are under /app:
# mount a volume on /app/data to keep the state across containers.
# The JVM flags are those of bin/jvm-flags (java's @argfile), the one list every launcher uses.
ENTRYPOINT ["java", "@/app/jvm-flags", "-jar", "/app/wsmsg.jar"]
CMD ["server"]
