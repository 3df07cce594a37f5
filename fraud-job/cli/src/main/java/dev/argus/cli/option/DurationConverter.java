package dev.argus.cli.option;

import java.time.Duration;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A duration option such as {@code 30s}, {@code 5 min}, {@code 1h} or {@code 100 ms}, in any unit
 * Flink's {@link TimeUtils#parseDuration} reads; a bare number is seconds (Flink would read it as
 * milliseconds).
 */
public final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String text = value.trim();
        try {
            return text.matches("\\d+")
                    ? Duration.ofSeconds(Long.parseLong(text))
                    : TimeUtils.parseDuration(text);
        } catch (RuntimeException e) {
            throw new TypeConversionException(
                    "'" + value + "' is not a duration such as 30s, 5 min, 1h or 90 (seconds)");
        }
    }
}
