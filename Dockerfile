# Image for the Yunqian gateway with SoftHSM2. Build context: the repository root.
# Production deployments point YUNQIAN_PKCS11_LIBRARY at a real HSM's PKCS#11 library and
# YUNQIAN_PG_URL at a managed PostgreSQL; see hsm-config/README.md.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY gateway/pom.xml gateway/
RUN mvn -q -B -pl gateway dependency:go-offline
COPY gateway gateway
RUN mvn -q -B -DskipTests package

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless softhsm2 \
      fonts-wqy-microhei ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/yunqian --create-home yunqian
WORKDIR /opt/yunqian
COPY --from=build /src/gateway/target/classes classes
COPY --from=build /src/gateway/target/lib lib
COPY hsm-config hsm-config
COPY mobile-web mobile-web
USER yunqian
ENV YUNQIAN_DATA_DIR=/var/lib/yunqian/data \
    YUNQIAN_HTTP_HOST=0.0.0.0 \
    YUNQIAN_MOBILE_WEB_DIR=/opt/yunqian/mobile-web \
    SOFTHSM2_CONF=/var/lib/yunqian/data/softhsm2.conf
EXPOSE 8080
# The token store lives in the data volume; create its config on first start.
CMD ["sh", "-c", "mkdir -p \"$YUNQIAN_DATA_DIR/tokens\" && chmod 700 \"$YUNQIAN_DATA_DIR\" && sed \"s|@TOKENDIR@|$YUNQIAN_DATA_DIR/tokens|\" hsm-config/softhsm2.conf.template > \"$SOFTHSM2_CONF\" && exec java -cp 'classes:lib/*' cn.yunqian.app.Main run"]
VOLUME ["/var/lib/yunqian/data"]
