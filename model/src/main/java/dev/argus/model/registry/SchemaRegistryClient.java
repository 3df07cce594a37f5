package dev.argus.model.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Confluent Schema Registry REST API, over HTTP(S), for Avro schemas. Works with
 * Confluent's registry, Apicurio's {@code /apis/ccompat/v7} API, and {@link
 * InProcessSchemaRegistry}.
 *
 * <p>Schemas by id never change, so they are cached forever; so are the ids of schemas this client
 * registered or looked up. {@link #latest} always asks the registry. Thread-safe.
 *
 * <p>Transport failures surface as {@link UncheckedIOException}: they are transient and the caller
 * (a Flink task) should fail and retry. Answers of the registry surface as {@link
 * RegistryException}. Both say what to fix when the cause is the configuration: refused credentials
 * name {@code basic.auth.user.info}, an untrusted certificate names {@code
 * schema.registry.ssl.truststore.location}. No message and no log line carries a password.
 */
public final class SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryClient.class);

    private final RegistryConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public SchemaRegistryClient(RegistryConfig config) {
        this.config = config;
        HttpClient.Builder builder =
                HttpClient.newBuilder()
                        .connectTimeout(config.requestTimeout())
                        .version(HttpClient.Version.HTTP_1_1);
        if (config.truststorePath() != null || config.keystorePath() != null) {
            builder.sslContext(sslContext(config));
        }
        this.http = builder.build();
        this.authorization =
                config.basicAuthUser() == null
                        ? null
                        : "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(
                                                (config.basicAuthUser()
                                                                + ":"
                                                                + config.basicAuthPassword())
                                                        .getBytes(StandardCharsets.UTF_8));
        LOG.debug("Schema registry client for {}", config);
    }

    public RegistryConfig config() {
        return config;
    }

    /**
     * Registers {@code schema} under {@code subject} (or finds it, if it is already there) and
     * returns its global id.
     *
     * @throws RegistryException with {@link RegistryException#isIncompatible()} when the subject's
     *     compatibility rule refuses it
     */
    public int register(String subject, Schema schema) {
        String key = subject + '\u0000' + schema.toString();
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode body =
                send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
        int id = body.path("id").asInt(-1);
        if (id < 0) {
            throw new RegistryException(200, 0, "registry answered without an id: " + body);
        }
        idsBySubjectAndSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /** Finds {@code schema} under {@code subject} without registering it. */
    public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        try {
            JsonNode body = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
            RegisteredSchema found = toRegistered(subject, body);
            idsBySubjectAndSchema.put(subject + '\u0000' + schema.toString(), found.id());
            return Optional.of(found);
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The schema with global id {@code id}.
     *
     * @throws RegistryException with {@link RegistryException#isNotFound()} when there is none
     */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode body = send("GET", "/schemas/ids/" + id, null);
        Schema schema = parse(body.path("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    /** The latest version registered under {@code subject}. */
    public RegisteredSchema latest(String subject) {
        return version(subject, "latest");
    }

    /** Version {@code version} ("latest" or a number) of {@code subject}. */
    public RegisteredSchema version(String subject, String version) {
        JsonNode body = send("GET", "/subjects/" + encode(subject) + "/versions/" + version, null);
        return toRegistered(subject, body);
    }

    /** The version numbers registered under {@code subject}, oldest first. */
    public List<Integer> versions(String subject) {
        JsonNode body = send("GET", "/subjects/" + encode(subject) + "/versions", null);
        List<Integer> versions = new ArrayList<>();
        body.forEach(v -> versions.add(v.asInt()));
        return versions;
    }

    /** All subjects. */
    public List<String> subjects() {
        JsonNode body = send("GET", "/subjects", null);
        List<String> subjects = new ArrayList<>();
        body.forEach(s -> subjects.add(s.asText()));
        return subjects;
    }

    /**
     * Sets the compatibility rule of {@code subject}: NONE, BACKWARD, FORWARD, FULL (or
     * _TRANSITIVE).
     */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send("PUT", "/config/" + encode(subject), body);
    }

    /** The compatibility rule set on {@code subject} itself, empty if it follows the global one. */
    public Optional<String> compatibility(String subject) {
        try {
            JsonNode body = send("GET", "/config/" + encode(subject), null);
            String level = body.path("compatibilityLevel").asText("");
            return level.isEmpty() ? Optional.empty() : Optional.of(level);
        } catch (RegistryException e) {
            if (e.httpStatus() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Whether {@code schema} may be registered as the next version of {@code subject}. */
    public boolean isCompatible(String subject, Schema schema) {
        JsonNode body =
                send(
                        "POST",
                        "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                        schemaBody(schema));
        return body.path("is_compatible").asBoolean(false);
    }

    private RegisteredSchema toRegistered(String subject, JsonNode body) {
        int id = body.path("id").asInt();
        Schema schema = schemasById.computeIfAbsent(id, i -> parse(body.path("schema").asText()));
        return new RegisteredSchema(subject, body.path("version").asInt(), id, schema);
    }

    private static ObjectNode schemaBody(Schema schema) {
        // schemaType is left out: AVRO is the default, and older registries reject the key
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    private static Schema parse(String text) {
        return new Schema.Parser().setValidateDefaults(false).parse(text);
    }

    private JsonNode send(String method, String path, JsonNode body) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(config.url() + path))
                        .timeout(config.requestTimeout())
                        .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (SSLException e) {
            throw new UncheckedIOException(tlsFailure(e), e);
        } catch (IOException e) {
            SSLException tls = sslCause(e);
            if (tls != null) {
                throw new UncheckedIOException(tlsFailure(tls), e);
            }
            throw new UncheckedIOException(
                    "schema registry at " + config.url() + " did not answer " + method + " " + path,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(
                    new IOException("interrupted while calling the schema registry", e));
        }
        JsonNode json = readJson(response.body());
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new RegistryException(
                    response.statusCode(),
                    json.path("error_code").asInt(response.statusCode()),
                    refused(response.statusCode(), method, path));
        }
        if (response.statusCode() / 100 != 2) {
            int errorCode = json.path("error_code").asInt(response.statusCode());
            String message = json.path("message").asText(response.body());
            throw new RegistryException(
                    response.statusCode(),
                    errorCode,
                    method
                            + " "
                            + config.url()
                            + path
                            + " -> HTTP "
                            + response.statusCode()
                            + " (error_code "
                            + errorCode
                            + "): "
                            + message
                            + hint(response.statusCode()));
        }
        return json;
    }

    /** What to fix when the registry refuses the request (HTTP 401 or 403). */
    private String refused(int status, String method, String path) {
        String where = "the schema registry at " + config.url();
        String request = " (HTTP " + status + " on " + method + " " + path + ")";
        if (status == 403) {
            return where
                    + " does not let user "
                    + config.basicAuthUser()
                    + " do this"
                    + request
                    + ": give the account the rights it needs (read, and write to register"
                    + " schemas), or check basic.auth.user.info";
        }
        if (config.basicAuthUser() == null) {
            return where
                    + " asks for credentials and none are set"
                    + request
                    + ": set basic.auth.user.info to USER:PASSWORD";
        }
        return where
                + " refused the credentials of user "
                + config.basicAuthUser()
                + request
                + ": check basic.auth.user.info (USER:PASSWORD)";
    }

    /** The TLS failure said as what to change, without the JDK's jargon alone. */
    private String tlsFailure(SSLException e) {
        String where = "the schema registry at " + config.url();
        String detail = String.valueOf(e.getMessage());
        if (detail.contains("PKIX path") || detail.contains("certification path")) {
            return where
                    + " presented a certificate that this client does not trust (PKIX path building"
                    + " failed): set schema.registry.ssl.truststore.location (and"
                    + " schema.registry.ssl.truststore.password) to a truststore that holds the"
                    + " registry's certificate or the CA that signed it"
                    + (config.truststorePath() == null
                            ? "; none is set, so only the JVM's default CAs were trusted"
                            : "; the truststore " + config.truststorePath() + " does not");
        }
        if (detail.contains("subject alternative") || detail.contains("No name matching")) {
            return where
                    + " presented a certificate for another host name ("
                    + detail
                    + "): put a host name the certificate names in schema.registry.url, or"
                    + " reissue the certificate with this one";
        }
        if (detail.contains("Unsupported or unrecognized SSL message")) {
            return where
                    + " does not speak TLS on this port: use http:// in schema.registry.url, or"
                    + " enable TLS on the registry";
        }
        return "TLS handshake with "
                + where
                + " failed ("
                + detail
                + "): check schema.registry.ssl.truststore.location and, if the registry asks"
                + " for a client certificate, schema.registry.ssl.keystore.location";
    }

    private static SSLException sslCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    private static String hint(int status) {
        return switch (status) {
            case 409 ->
                    ". The schema breaks the subject's compatibility rule: make the change"
                            + " compatible (add fields with defaults) or register a new subject.";
            default -> "";
        };
    }

    private static JsonNode readJson(String body) {
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode().put("message", body);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static SSLContext sslContext(RegistryConfig config) {
        try {
            TrustManagerFactory tmf = null;
            if (config.truststorePath() != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(
                        loadStore(
                                "schema.registry.ssl.truststore",
                                config.truststorePath(),
                                config.truststorePassword()));
            }
            KeyManagerFactory kmf = null;
            if (config.keystorePath() != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                char[] password =
                        config.keystorePassword() == null
                                ? new char[0]
                                : config.keystorePassword().toCharArray();
                kmf.init(
                        loadStore(
                                "schema.registry.ssl.keystore",
                                config.keystorePath(),
                                config.keystorePassword()),
                        password);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(
                    kmf == null ? null : kmf.getKeyManagers(),
                    tmf == null ? null : tmf.getTrustManagers(),
                    null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot set up TLS to the schema registry from "
                            + config
                            + ": check the store paths, passwords and types (PKCS12 or JKS)",
                    e);
        }
    }

    /** Loads a PKCS12 or JKS store; {@code key} is the configuration prefix, for the message. */
    private static KeyStore loadStore(String key, String path, String password)
            throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try (InputStream in = new FileInputStream(path)) {
            store.load(in, password == null ? null : password.toCharArray());
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read "
                            + key
                            + ".location="
                            + path
                            + " ("
                            + e.getMessage()
                            + "): check that the file exists and is a PKCS12 or JKS store, and "
                            + key
                            + ".password",
                    e);
        }
        return store;
    }
}
