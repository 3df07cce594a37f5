package dev.argus.model.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;

/**
 * A schema registry that serves the Confluent REST API on loopback, in memory, for local runs and
 * tests. Any Confluent-compatible client can register and fetch Avro schemas from it.
 *
 * <p>It implements the part of the API that serializers and deserializers use: register, look up,
 * schema by id, subjects and versions, compatibility config (NONE, BACKWARD, FORWARD, FULL and the
 * _TRANSITIVE variants, checked with Avro's own {@link SchemaCompatibility}) and compatibility
 * tests. Equal schemas (by Avro's canonical form) share one global id, as in Confluent's registry.
 * Errors carry Confluent's error codes. State is lost when it stops.
 *
 * <p>By default it serves plain HTTP to anyone. {@link #builder()} can make it demand HTTP basic
 * auth (401 with {@code WWW-Authenticate: Basic} without the right user and password) and serve
 * HTTPS with the key pair of a PKCS12 keystore, so that a client's credentials and trust store can
 * be tested against a real server.
 */
public final class InProcessSchemaRegistry implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final HttpServer server;
    private final ExecutorService executor;
    private final Object lock = new Object();
    private final AtomicLong requests = new AtomicLong();
    // guarded by lock
    private final List<Schema> schemasById = new ArrayList<>(); // id = index + 1
    private final Map<String, Integer> idsByCanonicalForm = new LinkedHashMap<>();
    private final Map<String, List<Integer>> subjects =
            new LinkedHashMap<>(); // version = index + 1
    private final Map<String, String> compatibilityBySubject = new LinkedHashMap<>();
    private String globalCompatibility = "BACKWARD";

    private InProcessSchemaRegistry(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts a registry on 127.0.0.1:{@code port}; port 0 picks a free one. */
    public static InProcessSchemaRegistry start(int port) throws IOException {
        return builder().port(port).start();
    }

    /** A registry with options: port, basic auth, TLS. */
    public static Builder builder() {
        return new Builder();
    }

    private static InProcessSchemaRegistry start(Builder b) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port);
        HttpServer server;
        if (b.keystore != null) {
            HttpsServer https = HttpsServer.create(address, 0);
            https.setHttpsConfigurator(
                    new HttpsConfigurator(sslContext(b.keystore, b.keystorePassword)));
            server = https;
        } else {
            server = HttpServer.create(address, 0);
        }
        ExecutorService executor =
                Executors.newFixedThreadPool(
                        2,
                        r -> {
                            Thread t = new Thread(r, "in-process-schema-registry");
                            t.setDaemon(true);
                            return t;
                        });
        InProcessSchemaRegistry registry = new InProcessSchemaRegistry(server, executor);
        HttpContext context = server.createContext("/", registry::handle);
        if (b.user != null) {
            context.setAuthenticator(new Credentials(b.user, b.password));
        }
        server.setExecutor(executor);
        server.start();
        return registry;
    }

    /**
     * The base URL to give clients, for example {@code http://127.0.0.1:41234}, or {@code
     * https://127.0.0.1:41234} with TLS.
     */
    public String url() {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return scheme + "://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * The requests this registry has answered so far, whatever their outcome: what a client's
     * caching saves is seen here.
     */
    public long requests() {
        return requests.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        Reply reply;
        try {
            reply = route(exchange.getRequestMethod(), segments(exchange), readBody(exchange));
        } catch (ApiError e) {
            reply = new Reply(e.status, error(e.code, e.getMessage()));
        } catch (RuntimeException e) {
            reply = new Reply(500, error(50001, "internal error: " + e));
        }
        byte[] bytes = JSON.writeValueAsBytes(reply.body);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(reply.status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private Reply route(String method, List<String> p, JsonNode body) {
        int n = p.size();
        if (n == 1 && p.get(0).equals("subjects") && method.equals("GET")) {
            return ok(subjectList());
        }
        if (n == 3
                && p.get(0).equals("schemas")
                && p.get(1).equals("ids")
                && method.equals("GET")) {
            return ok(
                    JSON.createObjectNode()
                            .put("schema", schemaById(parseInt(p.get(2))).toString()));
        }
        if (n >= 2 && p.get(0).equals("subjects")) {
            String subject = p.get(1);
            if (n == 2 && method.equals("POST")) {
                return ok(lookup(subject, schemaOf(body)));
            }
            if (n == 2 && method.equals("DELETE")) {
                return ok(deleteSubject(subject));
            }
            if (n == 3 && p.get(2).equals("versions") && method.equals("POST")) {
                return ok(JSON.createObjectNode().put("id", register(subject, schemaOf(body))));
            }
            if (n == 3 && p.get(2).equals("versions") && method.equals("GET")) {
                ArrayNode versions = JSON.createArrayNode();
                int count = versionsOf(subject).size();
                for (int v = 1; v <= count; v++) {
                    versions.add(v);
                }
                return ok(versions);
            }
            if (n == 4 && p.get(2).equals("versions") && method.equals("GET")) {
                return ok(versionOf(subject, p.get(3)));
            }
            if (n == 5 && p.get(2).equals("versions") && p.get(4).equals("schema")) {
                return ok(parseJson(versionOf(subject, p.get(3)).get("schema").asText()));
            }
        }
        if (p.size() >= 1 && p.get(0).equals("config")) {
            return config(method, n == 2 ? p.get(1) : null, body);
        }
        if (n == 5 && p.get(0).equals("compatibility") && method.equals("POST")) {
            return ok(
                    JSON.createObjectNode()
                            .put(
                                    "is_compatible",
                                    testCompatibility(p.get(2), p.get(4), schemaOf(body))));
        }
        throw new ApiError(404, 404, "no such endpoint: " + method + " /" + String.join("/", p));
    }

    private ArrayNode subjectList() {
        synchronized (lock) {
            ArrayNode list = JSON.createArrayNode();
            subjects.keySet().forEach(list::add);
            return list;
        }
    }

    private Schema schemaById(int id) {
        synchronized (lock) {
            if (id < 1 || id > schemasById.size()) {
                throw new ApiError(404, 40403, "Schema " + id + " not found");
            }
            return schemasById.get(id - 1);
        }
    }

    private int register(String subject, Schema schema) {
        synchronized (lock) {
            List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
            String canonical = schema.toString(false);
            Integer existingId = idsByCanonicalForm.get(canonical);
            if (existingId != null && versions.contains(existingId)) {
                return existingId;
            }
            String level = compatibilityOf(subject);
            if (!compatible(level, schema, history(versions))) {
                throw new ApiError(
                        409,
                        409,
                        "Schema being registered is incompatible with an earlier schema for subject \""
                                + subject
                                + "\" under compatibility "
                                + level);
            }
            int id = existingId != null ? existingId : newId(canonical, schema);
            versions.add(id);
            return id;
        }
    }

    private int newId(String canonical, Schema schema) {
        schemasById.add(schema);
        int id = schemasById.size();
        idsByCanonicalForm.put(canonical, id);
        return id;
    }

    private ObjectNode lookup(String subject, Schema schema) {
        synchronized (lock) {
            List<Integer> versions = versionsOf(subject);
            Integer id = idsByCanonicalForm.get(schema.toString(false));
            int index = id == null ? -1 : versions.indexOf(id);
            if (index < 0) {
                throw new ApiError(404, 40403, "Schema not found under subject " + subject);
            }
            return describe(subject, index + 1, id);
        }
    }

    private ObjectNode versionOf(String subject, String version) {
        synchronized (lock) {
            List<Integer> versions = versionsOf(subject);
            int v =
                    version.equals("latest") || version.equals("-1")
                            ? versions.size()
                            : parseInt(version);
            if (v < 1 || v > versions.size()) {
                throw new ApiError(
                        404, 40402, "Version " + version + " not found for subject " + subject);
            }
            return describe(subject, v, versions.get(v - 1));
        }
    }

    private ArrayNode deleteSubject(String subject) {
        synchronized (lock) {
            List<Integer> versions = versionsOf(subject);
            ArrayNode deleted = JSON.createArrayNode();
            for (int v = 1; v <= versions.size(); v++) {
                deleted.add(v);
            }
            subjects.remove(subject);
            return deleted;
        }
    }

    private boolean testCompatibility(String subject, String version, Schema schema) {
        synchronized (lock) {
            List<Integer> versions = subjects.getOrDefault(subject, List.of());
            if (versions.isEmpty()) {
                return true;
            }
            String level = compatibilityOf(subject);
            List<Schema> against =
                    version.equals("latest")
                            ? history(versions)
                            : List.of(schemaById(versionOf(subject, version).get("id").asInt()));
            return compatible(level, schema, against);
        }
    }

    private Reply config(String method, String subject, JsonNode body) {
        synchronized (lock) {
            if (method.equals("GET")) {
                String level =
                        subject == null ? globalCompatibility : compatibilityBySubject.get(subject);
                if (level == null) {
                    throw new ApiError(
                            404, 40408, "Subject " + subject + " has no compatibility level set");
                }
                return ok(JSON.createObjectNode().put("compatibilityLevel", level));
            }
            if (method.equals("PUT")) {
                String level = body.path("compatibility").asText("").toUpperCase();
                if (!List.of(
                                "NONE",
                                "BACKWARD",
                                "BACKWARD_TRANSITIVE",
                                "FORWARD",
                                "FORWARD_TRANSITIVE",
                                "FULL",
                                "FULL_TRANSITIVE")
                        .contains(level)) {
                    throw new ApiError(422, 42203, "Invalid compatibility level: " + level);
                }
                if (subject == null) {
                    globalCompatibility = level;
                } else {
                    compatibilityBySubject.put(subject, level);
                }
                return ok(JSON.createObjectNode().put("compatibility", level));
            }
            throw new ApiError(405, 405, "method " + method + " not allowed on /config");
        }
    }

    /** The schemas of a subject's versions, oldest first. */
    private List<Schema> history(List<Integer> versions) {
        return versions.stream().map(id -> schemasById.get(id - 1)).toList();
    }

    private String compatibilityOf(String subject) {
        return compatibilityBySubject.getOrDefault(subject, globalCompatibility);
    }

    /** Confluent's semantics: non-transitive levels check against the latest version only. */
    private static boolean compatible(String level, Schema candidate, List<Schema> previous) {
        if (previous.isEmpty() || level.equals("NONE")) {
            return true;
        }
        List<Schema> against =
                level.endsWith("_TRANSITIVE")
                        ? previous
                        : List.of(previous.get(previous.size() - 1));
        boolean backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
        boolean forward = level.startsWith("FORWARD") || level.startsWith("FULL");
        for (Schema old : against) {
            if (backward && !canRead(candidate, old)) {
                return false;
            }
            if (forward && !canRead(old, candidate)) {
                return false;
            }
        }
        return true;
    }

    private static boolean canRead(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType()
                == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    }

    private List<Integer> versionsOf(String subject) {
        List<Integer> versions = subjects.get(subject);
        if (versions == null) {
            throw new ApiError(404, 40401, "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private ObjectNode describe(String subject, int version, int id) {
        return JSON.createObjectNode()
                .put("subject", subject)
                .put("version", version)
                .put("id", id)
                .put("schema", schemasById.get(id - 1).toString());
    }

    private static Schema schemaOf(JsonNode body) {
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new ApiError(422, 42201, "Only AVRO schemas are supported here, got " + type);
        }
        String text = body.path("schema").asText(null);
        if (text == null) {
            throw new ApiError(422, 42201, "Request body has no \"schema\" field");
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new ApiError(422, 42201, "Invalid schema: " + e.getMessage());
        }
    }

    private static List<String> segments(HttpExchange exchange) {
        String raw = exchange.getRequestURI().getRawPath();
        List<String> out = new ArrayList<>();
        for (String s : raw.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static JsonNode readBody(HttpExchange exchange) throws IOException {
        byte[] bytes = exchange.getRequestBody().readAllBytes();
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new ApiError(422, 42201, "Request body is not JSON: " + e.getMessage());
        }
    }

    private static JsonNode parseJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new ApiError(422, 42202, "Not a number: " + s);
        }
    }

    private static ObjectNode error(int code, String message) {
        return JSON.createObjectNode().put("error_code", code).put("message", message);
    }

    private static Reply ok(JsonNode body) {
        return new Reply(200, body);
    }

    private static SSLContext sslContext(Path keystore, String password) throws IOException {
        char[] pw = password == null ? new char[0] : password.toCharArray();
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, pw);
            KeyManagerFactory kmf =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, pw);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot serve TLS with the keystore " + keystore, e);
        }
    }

    /** Options of a registry; {@link #start()} starts it. */
    public static final class Builder {
        private int port;
        private String user;
        private String password;
        private Path keystore;
        private String keystorePassword;

        private Builder() {}

        /** The port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Demands HTTP basic auth with this user and password on every request. */
        public Builder basicAuth(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** Serves HTTPS with the key pair (and its certificate) in a PKCS12 keystore. */
        public Builder tls(Path pkcs12Keystore, String password) {
            this.keystore = Objects.requireNonNull(pkcs12Keystore, "keystore");
            this.keystorePassword = password;
            return this;
        }

        public InProcessSchemaRegistry start() throws IOException {
            return InProcessSchemaRegistry.start(this);
        }
    }

    /** Basic auth with one user; answers 401 with {@code WWW-Authenticate: Basic realm=...}. */
    private static final class Credentials extends BasicAuthenticator {
        private final String user;
        private final byte[] password;

        Credentials(String user, String password) {
            super("schema-registry", StandardCharsets.UTF_8);
            this.user = user;
            this.password = password.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public boolean checkCredentials(String username, String givenPassword) {
            boolean userOk = user.equals(username);
            boolean passwordOk =
                    MessageDigest.isEqual(
                            password,
                            (givenPassword == null ? "" : givenPassword)
                                    .getBytes(StandardCharsets.UTF_8));
            return userOk && passwordOk;
        }
    }

    private record Reply(int status, JsonNode body) {}

    private static final class ApiError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final int code;

        ApiError(int status, int code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }
}
