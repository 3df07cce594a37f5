package dev.argus.cli.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real browser for tests of pages: headless Chromium (the Debian package), driven over the Chrome
 * DevTools Protocol on a WebSocket. It loads a page, evaluates JavaScript in it (to measure what
 * was laid out and drawn) and takes full-page screenshots.
 *
 * <p>Where Chromium is missing, {@link #start} skips the test and says how to install it; with
 * {@code ARGUS_REQUIRE_CHROMIUM} set (as {@code .ci/run} sets it) it fails instead.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    static final String INSTALL =
            "Chromium is not installed: install it with 'sudo apt-get install chromium' (Debian,"
                    + " Ubuntu) or set ARGUS_CHROMIUM to a Chromium or Chrome binary";

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** The binary: {@code ARGUS_CHROMIUM}, or the first of chromium, chromium-browser, chrome. */
    static String binary() {
        String given = System.getenv("ARGUS_CHROMIUM");
        if (given != null && !given.isBlank()) {
            return given;
        }
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    /** Starts Chromium with one blank page and connects to that page. */
    public static HeadlessChromium start() throws Exception {
        String binary = binary();
        if (binary == null) {
            if (System.getenv("ARGUS_REQUIRE_CHROMIUM") != null) {
                Assertions.fail(INSTALL);
            }
            Assumptions.abort(INSTALL);
        }
        Path profile = Files.createTempDirectory("argus-chromium-");
        Process process =
                new ProcessBuilder(
                                binary,
                                "--headless=new",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-dev-shm-usage",
                                "--no-first-run",
                                "--hide-scrollbars",
                                "--remote-debugging-port=0",
                                "--user-data-dir=" + profile,
                                "about:blank")
                        .redirectErrorStream(true)
                        .start();
        String browserUrl = null;
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String line;
        while (browserUrl == null
                && System.nanoTime() < deadline
                && (line = out.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                browserUrl = m.group(1);
            }
        }
        if (browserUrl == null) {
            process.destroyForcibly();
            throw new IOException(binary + " did not open its DevTools port within 60 s");
        }
        // keep reading its output, so it never blocks on a full pipe
        Thread drain =
                new Thread(
                        () -> {
                            try {
                                while (out.readLine() != null) {
                                    // Chromium's own logging: dbus and GPU warnings
                                }
                            } catch (IOException ignored) {
                                // it has exited
                            }
                        },
                        "chromium-output");
        drain.setDaemon(true);
        drain.start();
        URI ws = URI.create(browserUrl);
        HttpClient http = HttpClient.newHttpClient();
        JsonNode targets =
                JSON.readTree(
                        http.send(
                                        HttpRequest.newBuilder(
                                                        URI.create(
                                                                "http://"
                                                                        + ws.getHost()
                                                                        + ":"
                                                                        + ws.getPort()
                                                                        + "/json/list"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body());
        String pageUrl = null;
        for (JsonNode t : targets) {
            if (t.get("type").asText().equals("page")) {
                pageUrl = t.get("webSocketDebuggerUrl").asText();
            }
        }
        if (pageUrl == null) {
            process.destroyForcibly();
            throw new IOException("Chromium opened no page: " + targets);
        }
        Listener listener = new Listener();
        WebSocket socket =
                http.newWebSocketBuilder()
                        .buildAsync(URI.create(pageUrl), listener)
                        .get(30, TimeUnit.SECONDS);
        HeadlessChromium chromium = new HeadlessChromium(process, profile, socket);
        listener.owner = chromium;
        return chromium;
    }

    /** Opens {@code page} and waits until it has loaded. */
    public void open(Path page) throws Exception {
        call("Page.navigate", Map.of("url", page.toAbsolutePath().toUri().toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"complete".equals(evaluate("document.readyState").asText())) {
            if (System.nanoTime() > deadline) {
                throw new IOException(page + " did not finish loading within 30 s");
            }
            Thread.sleep(50);
        }
    }

    /** The value of a JavaScript expression in the page (JSON-serializable values). */
    public JsonNode evaluate(String expression) throws Exception {
        JsonNode result =
                call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException(
                    "the page threw: " + result.get("exceptionDetails").toString());
        }
        JsonNode value = result.get("result").get("value");
        return value == null ? JSON.nullNode() : value;
    }

    /** A PNG of the whole page, {@code width} pixels wide. */
    public void screenshot(Path png, int width) throws Exception {
        int height = evaluate("document.documentElement.scrollHeight").asInt();
        call(
                "Emulation.setDeviceMetricsOverride",
                Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
        JsonNode shot =
                call(
                        "Page.captureScreenshot",
                        Map.of("format", "png", "captureBeyondViewport", true));
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, Base64.getDecoder().decode(shot.get("data").asText()));
    }

    private JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode message = JSON.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        message.set("params", JSON.valueToTree(params));
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        waiting.put(id, reply);
        socket.sendText(JSON.writeValueAsString(message), true).get(30, TimeUnit.SECONDS);
        JsonNode answer = reply.get(60, TimeUnit.SECONDS);
        if (answer.has("error")) {
            throw new IOException(method + " failed: " + answer.get("error"));
        }
        return answer.get("result");
    }

    @Override
    public void close() throws Exception {
        socket.abort();
        // Chromium's helper processes (network service, GPU, renderers) write into the profile too:
        // they are stopped before it is deleted
        List<ProcessHandle> helpers = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        for (ProcessHandle helper : helpers) {
            helper.destroy();
            try {
                helper.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                helper.destroyForcibly();
            }
        }
        // Flink's delete takes a file that vanishes under it (a temporary file Chromium renamed as
        // it exited) as deleted
        org.apache.flink.util.FileUtils.deleteDirectory(profile.toFile());
    }

    /** Collects a message's frames and hands each reply to its caller. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        volatile HeadlessChromium owner;

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode message = JSON.readTree(text.toString());
                    if (message.has("id") && owner != null) {
                        CompletableFuture<JsonNode> f =
                                owner.waiting.remove(message.get("id").asInt());
                        if (f != null) {
                            f.complete(message);
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    text.setLength(0);
                }
            }
            socket.request(1);
            return null;
        }
    }
}
