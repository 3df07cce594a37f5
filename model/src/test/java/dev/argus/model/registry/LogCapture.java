package dev.argus.model.registry;

import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Captures every log line, at every level, while it is open: of log4j2 (the slf4j binding of the
 * tests) and of java.util.logging (where the JDK's own HTTP client and TLS code log). Loggers
 * configured with their own level keep it. Closing it puts the levels back.
 */
public final class LogCapture implements AutoCloseable {
    private static final String NAME = "argus-log-capture";

    private final StringWriter log4j = new StringWriter();
    private final StringBuilder jul = new StringBuilder();
    private final LoggerContext context;
    private final Level rootLevel;
    private final Level argusLevel;
    private final Map<String, Level> namedLevels = new HashMap<>();
    private final java.util.logging.Level julLevel;
    private final Handler julHandler;

    private LogCapture(Level level, String... loggers) {
        context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        WriterAppender appender =
                WriterAppender.createAppender(
                        PatternLayout.newBuilder()
                                .withPattern("%-5p %c - %m%n%throwable")
                                .withConfiguration(config)
                                .build(),
                        null,
                        log4j,
                        NAME,
                        false,
                        true);
        appender.start();
        config.addAppender(appender);
        LoggerConfig root = config.getRootLogger();
        rootLevel = root.getLevel();
        root.addAppender(appender, Level.ALL, null);
        root.setLevel(level);
        LoggerConfig argus = config.getLoggerConfig("dev.argus");
        argusLevel = argus.getLevel();
        argus.setLevel(Level.ALL);
        context.updateLoggers();
        if (loggers.length > 0) {
            Map<String, Level> at = new HashMap<>();
            for (String name : loggers) {
                namedLevels.put(name, config.getLoggerConfig(name).getLevel());
                at.put(name, level);
            }
            Configurator.setLevel(at);
        }

        java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
        julLevel = julRoot.getLevel();
        julHandler =
                new Handler() {
                    @Override
                    public void publish(LogRecord record) {
                        synchronized (jul) {
                            jul.append(record.getLoggerName())
                                    .append(" - ")
                                    .append(record.getMessage())
                                    .append(' ')
                                    .append(java.util.Arrays.toString(record.getParameters()))
                                    .append(record.getThrown() == null ? "" : record.getThrown())
                                    .append('\n');
                        }
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                };
        julHandler.setLevel(java.util.logging.Level.ALL);
        julRoot.addHandler(julHandler);
        julRoot.setLevel(java.util.logging.Level.ALL);
    }

    /** Captures everything, at every level. */
    public static LogCapture start() {
        return new LogCapture(Level.ALL);
    }

    /**
     * Captures Argus's own lines at every level and the others from {@code level} up (a Flink job
     * at TRACE would drown the test).
     */
    public static LogCapture start(Level level) {
        return new LogCapture(level);
    }

    /**
     * As {@link #start(Level)}, and the named {@code loggers} from {@code level} up too, though
     * configured with their own level (Kafka's clients, say, which print their settings at INFO).
     */
    public static LogCapture start(Level level, String... loggers) {
        return new LogCapture(level, loggers);
    }

    /** Everything logged so far. */
    public String text() {
        synchronized (jul) {
            return log4j + jul.toString();
        }
    }

    @Override
    public void close() {
        if (!namedLevels.isEmpty()) {
            Configurator.setLevel(namedLevels);
        }
        Configuration config = context.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        root.removeAppender(NAME);
        root.setLevel(rootLevel);
        config.getLoggerConfig("dev.argus").setLevel(argusLevel);
        context.updateLoggers();
        java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
        julRoot.removeHandler(julHandler);
        julRoot.setLevel(julLevel);
    }
}
