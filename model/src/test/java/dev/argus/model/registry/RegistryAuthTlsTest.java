package dev.argus.model.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against the in-process registry serving HTTPS with basic auth: the right settings
 * work, and each wrong one fails with a message that names the key to fix. No password reaches a
 * log line or a message.
 */
class RegistryAuthTlsTest {
    private static final String USER = "argus";
    private static final String PASSWORD = "s3cret-registry-pw";
    private static final String WRONG_PASSWORD = "wr0ng-registry-pw";

    private static final Schema SCHEMA =
            SchemaBuilder.record("Ping")
                    .namespace("dev.argus.test")
                    .fields()
                    .requiredString("id")
                    .endRecord();

    @TempDir static Path dir;
    private static TestCertificates certs;
    private static TestCertificates otherCerts;
    private static InProcessSchemaRegistry registry;

    private LogCapture logs;
    private final List<Throwable> failures = new ArrayList<>();

    @BeforeAll
    static void startRegistry() throws Exception {
        certs = TestCertificates.create(dir, "registry");
        otherCerts = TestCertificates.create(dir, "other");
        registry =
                InProcessSchemaRegistry.builder()
                        .basicAuth(USER, PASSWORD)
                        .tls(certs.keystore(), certs.keystorePassword())
                        .start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void captureLogs() {
        logs = LogCapture.start();
    }

    @AfterEach
    void noSecretLogged() {
        logs.close();
        StringWriter text = new StringWriter();
        text.append(logs.text());
        for (Throwable t : failures) {
            t.printStackTrace(new PrintWriter(text));
        }
        // the capture works: the client's debug line about its configuration is there
        assertThat(logs.text()).contains("Schema registry client for RegistryConfig{url=https://");
        assertThat(text.toString())
                .doesNotContain(PASSWORD)
                .doesNotContain(WRONG_PASSWORD)
                .doesNotContain(basic(PASSWORD))
                .doesNotContain(basic(WRONG_PASSWORD))
                .doesNotContain(certs.truststorePassword())
                .doesNotContain(certs.keystorePassword())
                .doesNotContain(otherCerts.truststorePassword());
    }

    @Test
    void registersAndFetchesOverHttpsWithBasicAuth() {
        assertThat(registry.url()).startsWith("https://127.0.0.1:");
        SchemaRegistryClient client = client(PASSWORD, certs.truststore().toString());
        int id = client.register("ping-value", SCHEMA);

        SchemaRegistryClient fresh = client(PASSWORD, certs.truststore().toString());
        assertThat(fresh.schemaById(id)).isEqualTo(SCHEMA);
        assertThat(fresh.latest("ping-value").id()).isEqualTo(id);
        assertThat(fresh.subjects()).contains("ping-value");
    }

    @Test
    void theKeysOfAConfluentClientWorkToo() {
        RegistryConfig config =
                RegistryConfig.fromProperties(
                        Map.of(
                                "schema.registry.url", registry.url(),
                                "basic.auth.user.info", USER + ":" + PASSWORD,
                                "schema.registry.ssl.truststore.location",
                                        certs.truststore().toString(),
                                "schema.registry.ssl.truststore.password",
                                        certs.truststorePassword()));
        assertThat(config.toString())
                .contains("user=argus")
                .doesNotContain(PASSWORD)
                .doesNotContain(certs.truststorePassword());
        assertThat(new SchemaRegistryClient(config).subjects()).isNotNull();
    }

    @Test
    void theRegistryAsksForBasicAuth() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(certs.truststore().toFile())) {
            trust.load(in, certs.truststorePassword().toCharArray());
        }
        tmf.init(trust);
        tls.init(null, tmf.getTrustManagers(), null);
        HttpClient http = HttpClient.newBuilder().sslContext(tls).build();
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(registry.url() + "/subjects")).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        // keep the after-each check of the capture meaningful
        client(PASSWORD, certs.truststore().toString());
    }

    @Test
    void aWrongPasswordSaysToCheckBasicAuthUserInfo() {
        SchemaRegistryClient client = client(WRONG_PASSWORD, certs.truststore().toString());
        Throwable thrown = catchFailure(() -> client.register("ping-value", SCHEMA));
        assertThat(thrown).isInstanceOf(RegistryException.class);
        assertThat(((RegistryException) thrown).httpStatus()).isEqualTo(401);
        assertThat(thrown.getMessage())
                .startsWith(
                        "the schema registry at "
                                + registry.url()
                                + " refused the credentials of user argus (HTTP 401")
                .endsWith(": check basic.auth.user.info (USER:PASSWORD)");
    }

    @Test
    void noCredentialsSaysToSetBasicAuthUserInfo() {
        SchemaRegistryClient client =
                new SchemaRegistryClient(
                        RegistryConfig.builder(registry.url())
                                .truststore(
                                        certs.truststore().toString(), certs.truststorePassword())
                                .build());
        Throwable thrown = catchFailure(client::subjects);
        assertThat(thrown)
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("asks for credentials and none are set")
                .hasMessageEndingWith("set basic.auth.user.info to USER:PASSWORD");
    }

    @Test
    void noTruststoreSaysToSetTheTruststoreLocation() {
        SchemaRegistryClient client =
                new SchemaRegistryClient(
                        RegistryConfig.builder(registry.url()).basicAuth(USER, PASSWORD).build());
        Throwable thrown = catchFailure(client::subjects);
        assertThat(thrown)
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith(
                        "the schema registry at "
                                + registry.url()
                                + " presented a certificate that this client does not trust"
                                + " (PKIX path building failed): set"
                                + " schema.registry.ssl.truststore.location")
                .hasMessageContaining("none is set");
    }

    @Test
    void aTruststoreWithoutTheRegistrysCertificateSaysSo() {
        SchemaRegistryClient client =
                new SchemaRegistryClient(
                        RegistryConfig.builder(registry.url())
                                .basicAuth(USER, PASSWORD)
                                .truststore(
                                        otherCerts.truststore().toString(),
                                        otherCerts.truststorePassword())
                                .build());
        Throwable thrown = catchFailure(client::subjects);
        assertThat(thrown)
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("schema.registry.ssl.truststore.location")
                .hasMessageEndingWith("the truststore " + otherCerts.truststore() + " does not");
    }

    @Test
    void aMissingTruststoreFileNamesTheKey() {
        String missing = dir.resolve("no-such-truststore.p12").toString();
        Throwable thrown = catchFailure(() -> client(PASSWORD, missing));
        assertThat(thrown)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(
                        "cannot read schema.registry.ssl.truststore.location=" + missing);
        // the client could not be built, so log its line here for the after-each check
        client(PASSWORD, certs.truststore().toString());
    }

    @Test
    void aWrongTruststorePasswordNamesThePasswordKey() {
        Throwable thrown =
                catchFailure(
                        () ->
                                new SchemaRegistryClient(
                                        RegistryConfig.builder(registry.url())
                                                .basicAuth(USER, PASSWORD)
                                                .truststore(
                                                        certs.truststore().toString(),
                                                        otherCerts.truststorePassword())
                                                .build()));
        assertThat(thrown)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema.registry.ssl.truststore.location=")
                .hasMessageEndingWith("schema.registry.ssl.truststore.password");
        client(PASSWORD, certs.truststore().toString());
    }

    @Test
    void aCertificateForAnotherHostSaysToFixTheUrlOrTheCertificate() throws Exception {
        TestCertificates elsewhere =
                TestCertificates.create(dir, "elsewhere", "dns:elsewhere.test");
        try (InProcessSchemaRegistry wrongName =
                InProcessSchemaRegistry.builder()
                        .basicAuth(USER, PASSWORD)
                        .tls(elsewhere.keystore(), elsewhere.keystorePassword())
                        .start()) {
            SchemaRegistryClient client =
                    new SchemaRegistryClient(
                            RegistryConfig.builder(wrongName.url())
                                    .basicAuth(USER, PASSWORD)
                                    .truststore(
                                            elsewhere.truststore().toString(),
                                            elsewhere.truststorePassword())
                                    .build());
            Throwable thrown = catchFailure(client::subjects);
            assertThat(thrown)
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageStartingWith(
                            "the schema registry at "
                                    + wrongName.url()
                                    + " presented a certificate for another host name")
                    .hasMessageContaining("schema.registry.url");
            assertThat(logs.text()).doesNotContain(elsewhere.truststorePassword());
        }
    }

    private SchemaRegistryClient client(String password, String truststore) {
        return new SchemaRegistryClient(
                RegistryConfig.builder(registry.url())
                        .basicAuth(USER, password)
                        .truststore(truststore, certs.truststorePassword())
                        .build());
    }

    private Throwable catchFailure(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            failures.add(e);
            return e;
        }
        throw new AssertionError("expected a failure");
    }

    private static String basic(String password) {
        return Base64.getEncoder()
                .encodeToString((USER + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
