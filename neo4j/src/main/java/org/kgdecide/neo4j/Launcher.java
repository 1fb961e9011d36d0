package org.kgdecide.neo4j;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Runs Neo4j Community embedded with its Bolt connector on 127.0.0.1, for kgdecide's tests and CI.
 *
 * <p>Usage: {@code Launcher HOME_DIR PORT PASSWORD_FILE READY_FILE}. The password is read from a
 * file (not the command line, where {@code ps} would show it). Authentication is on: once the
 * databases are up, the launcher sets the password of user {@code neo4j} through the
 * {@code system} database (embedded calls bypass authentication, Bolt clients do not), and only
 * then writes READY_FILE, which {@code scripts/neo4j-start} waits for. The process runs until it
 * gets SIGTERM/SIGINT, then shuts the databases down cleanly.
 */
public final class Launcher {

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: Launcher HOME_DIR PORT PASSWORD_FILE READY_FILE");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String password = Files.readString(Path.of(args[2]), StandardCharsets.UTF_8).strip();
        Path ready = Path.of(args[3]).toAbsolutePath();
        if (password.length() < 8) {
            // Neo4j 5 refuses passwords shorter than 8 characters (dbms.security.auth_minimum_password_length).
            System.err.println("the password in " + args[2] + " must be at least 8 characters long");
            System.exit(2);
        }

        long started = System.nanoTime();
        DatabaseManagementService service = build(home, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("kgdecide-neo4j: shutting down");
            service.shutdown();
            stopped.countDown();
        }, "kgdecide-neo4j-shutdown"));

        setPassword(service, password);
        writeReady(ready, port);
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        System.out.println("kgdecide-neo4j: ready on bolt://127.0.0.1:" + port + " after " + millis + " ms");
        stopped.await();
    }

    private static DatabaseManagementService build(Path home, int port) {
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                // Plain Bolt on loopback only: TLS would need certificates for a throwaway server.
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // No anonymous usage reports to Neo4j (dbms.usage_report.enabled).
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Small page cache: the test graphs are tiny and the machine is shared.
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(256))
                // Keep only what a test server needs on disk.
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .build();
    }

    /** Give user neo4j the generated password, with no change required at first login. */
    private static void setPassword(DatabaseManagementService service, String password) {
        GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        system.executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
    }

    /** Write the ready marker atomically so the start script never reads half a file. */
    private static void writeReady(Path ready, int port) throws IOException {
        Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
        Files.writeString(tmp, "port=" + port + "\npid=" + ProcessHandle.current().pid() + "\n");
        Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
