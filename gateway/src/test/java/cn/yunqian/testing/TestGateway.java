package cn.yunqian.testing;

import cn.yunqian.app.Gateway;
import cn.yunqian.app.GatewayConfig;
import cn.yunqian.hsm.TestHsm;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts a whole gateway for a test class: real SoftHSM2 (through {@link TestHsm}), a fresh
 * database on the test PostgreSQL, its own data folder under {@code target/} and a free port.
 */
public final class TestGateway {

  private TestGateway() {
  }

  /** Returns a configuration for a test gateway, with extra environment settings applied. */
  public static GatewayConfig config(String name, Map<String, String> extraEnv) {
    TestHsm.module();
    try {
      Path dataDir = Files.createDirectories(Path.of("target", "gateway-data"))
          .resolve(name + "-" + System.nanoTime());
      Map<String, String> env = new HashMap<>();
      env.put("YUNQIAN_DATA_DIR", dataDir.toString());
      env.put("YUNQIAN_PG_URL", TestDatabase.newDatabaseUrl());
      env.put("YUNQIAN_HTTP_PORT", "0");
      env.put("YUNQIAN_CA_TOKEN_LABEL", TestHsm.newLabel("ca"));
      String softHsmConf = System.getenv("SOFTHSM2_CONF");
      if (softHsmConf != null) {
        env.put("SOFTHSM2_CONF", softHsmConf);
      }
      env.putAll(extraEnv);
      return GatewayConfig.fromEnvironment(env);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Gateway start(String name) {
    return join(Gateway.start(config(name, Map.of())));
  }

  public static <T> T join(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }

  /** Reads a test resource from the corpus folder. */
  public static byte[] corpusFile(String name) {
    try (var in = TestGateway.class.getResourceAsStream("/corpus/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("No corpus file " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
