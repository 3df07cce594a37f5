package dev.argus.sandbox.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The labels file of a data set, {@code labels.jsonl}: one JSON object per line, one line per
 * injected case, in the order the cases were planned. docs/traffic.md documents the fields:
 *
 * <pre>{@code
 * {"case_id":"case-000001","label":"fraud","typology":"card-testing","variant":"classic",
 *  "account_id":"acc-000042","transaction_ids":["tx-0000001234","tx-0000001240"],
 *  "first_event_time":"2026-10-05T09:12:03.120Z","last_event_time":"2026-10-05T09:17:44.005Z",
 *  "description":"4 small online payments, then 812.00 EUR at an electronics shop"}
 * }</pre>
 */
public final class Labels {
    public static final String FILE_NAME = "labels.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Labels() {}

    public static String toJson(CaseLabel c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("case_id", c.caseId());
        o.put("label", c.label());
        o.put("typology", c.typology());
        o.put("variant", c.variant());
        o.put("account_id", c.accountId());
        ArrayNode ids = o.putArray("transaction_ids");
        c.transactionIds().forEach(ids::add);
        o.put("first_event_time", c.firstEventTime().toString());
        o.put("last_event_time", c.lastEventTime().toString());
        o.put("description", c.description());
        return o.toString();
    }

    public static void write(Writer out, CaseLabel c) throws IOException {
        out.write(toJson(c));
        out.write('\n');
    }

    /**
     * Reads a labels file.
     *
     * @throws IOException naming the file and line of a line that is not a label
     */
    public static List<CaseLabel> read(Path file) throws IOException {
        List<CaseLabel> labels = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    labels.add(fromJson(JSON.readTree(line)));
                } catch (IOException | RuntimeException e) {
                    throw new IOException(
                            file
                                    + ":"
                                    + number
                                    + ": not a case label ("
                                    + e.getMessage()
                                    + "); each line must be a JSON object with the fields"
                                    + " docs/traffic.md lists",
                            e);
                }
            }
        }
        return labels;
    }

    private static CaseLabel fromJson(JsonNode o) {
        String label = text(o, "label");
        if (!label.equals("fraud") && !label.equals("look-alike")) {
            throw new IllegalArgumentException(
                    "label is '" + label + "', not 'fraud' or 'look-alike'");
        }
        List<String> ids = new ArrayList<>();
        JsonNode array = o.get("transaction_ids");
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("transaction_ids is missing or not an array");
        }
        array.forEach(n -> ids.add(n.asText()));
        return new CaseLabel(
                text(o, "case_id"),
                label.equals("fraud"),
                text(o, "typology"),
                text(o, "variant"),
                text(o, "account_id"),
                ids,
                Instant.parse(text(o, "first_event_time")),
                Instant.parse(text(o, "last_event_time")),
                o.has("description") ? o.get("description").asText() : "");
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException(field + " is missing or not a string");
        }
        return n.asText();
    }
}
