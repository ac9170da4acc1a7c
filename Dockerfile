# wsmsg server image. Build and run one:   docker build -t wsmsg:local . && docker run -p 8765:8765 wsmsg:local
# docker-compose.yml runs three clustered gateways from it (see the README, "Run a cluster").
#
# Stage 1 builds target/wsmsg.jar (tests are run by CI, not here).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml cluster.xml ./
COPY conf/ conf/
COPY src/ src/
RUN mvn -B -DskipTests package

# Stage 2: the jar, cluster.xml, the configuration files and the JVM flags on a JRE, as a non-root user.
FROM eclipse-temurin:17-jre
RUN groupadd --system wsmsg \
 && useradd --system --gid wsmsg --home-dir /app --no-create-home --shell /usr/sbin/nologin wsmsg \
 && mkdir -p /app/data \
 && chown wsmsg:wsmsg /app/data
WORKDIR /app
COPY --from=build /build/target/wsmsg.jar /app/wsmsg.jar
COPY cluster.xml bin/jvm-flags /app/
COPY conf/ /app/conf/
USER wsmsg
# WebSocket, management (its host is 127.0.0.1 unless WSMSG_MANAGEMENT_HOST=0.0.0.0), Hazelcast
EXPOSE 8765 8766 5701
# Relative paths in the configuration (dataDir ./data, cluster.configFile cluster.xml) are under /app:
# mount a volume on /app/data to keep the state across containers.
# The JVM flags are those of bin/jvm-flags (java's @argfile), the one list every launcher uses.
ENTRYPOINT ["java", "@/app/jvm-flags", "-jar", "/app/wsmsg.jar"]
CMD ["server"]
