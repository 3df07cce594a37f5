package dev.argus.model.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed key pair for 127.0.0.1 and localhost in a PKCS12 keystore, and a PKCS12 truststore
 * holding its certificate, made at test time with the JDK's {@code keytool}.
 */
public record TestCertificates(
        Path keystore, String keystorePassword, Path truststore, String truststorePassword) {

    /** Makes the two stores in {@code dir}; {@code name} keeps several pairs apart. */
    public static TestCertificates create(Path dir, String name) throws IOException {
        return create(dir, name, "ip:127.0.0.1,dns:localhost");
    }

    /** As {@link #create(Path, String)}, for the host names in {@code san} ({@code dns:a,ip:b}). */
    public static TestCertificates create(Path dir, String name, String san) throws IOException {
        return create(dir, name, san, name + "-keystore-pw", name + "-truststore-pw");
    }

    /** As {@link #create(Path, String, String)}, with the stores' passwords given. */
    public static TestCertificates create(
            Path dir, String name, String san, String keystorePassword, String truststorePassword)
            throws IOException {
        Path keystore = dir.resolve(name + "-keystore.p12");
        Path certificate = dir.resolve(name + ".crt");
        Path truststore = dir.resolve(name + "-truststore.p12");
        keytool(
                "-genkeypair",
                "-alias",
                name,
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=" + san,
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                keystorePassword,
                "-keypass",
                keystorePassword);
        keytool(
                "-exportcert",
                "-alias",
                name,
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                keystorePassword,
                "-file",
                certificate.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                name,
                "-file",
                certificate.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                truststore.toString(),
                "-storepass",
                truststorePassword);
        return new TestCertificates(keystore, keystorePassword, truststore, truststorePassword);
    }

    private static void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }
}
