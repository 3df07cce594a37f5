package dev.argus.rules.testing;

import dev.argus.model.Amounts;
import dev.argus.model.Channel;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.model.TransactionValidator;
import dev.argus.rules.yaml.Problems;
import dev.argus.rules.yaml.YamlMap;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads a rule's test file ({@code <rule>.test.yaml}): cases of events written with only the fields
 * that matter, and the alerts expected. Every problem is reported with its line.
 */
public final class RuleTestReader {
    static final List<String> FILE_KEYS = List.of("cases");
    static final List<String> CASE_REQUIRED = List.of("name", "events", "expect");
    static final List<String> EVENT_REQUIRED = List.of("id", "at");
    static final List<String> EVENT_OPTIONAL =
            List.of(
                    "account",
                    "type",
                    "status",
                    "channel",
                    "amount",
                    "currency",
                    "mcc",
                    "merchant",
                    "merchant_country",
                    "counterparty",
                    "counterparty_country",
                    "card",
                    "card_present",
                    "device",
                    "ip",
                    "lat",
                    "lon",
                    "country");
    static final List<String> EXPECT_KEYS = List.of("matched");
    static final List<String> EXPECT_OPTIONAL = List.of("rule");

    /** The account of events that do not name one. */
    public static final String DEFAULT_ACCOUNT = "a";

    private RuleTestReader() {}

    public static List<RuleTestCase> read(Node root, String ruleId, Problems problems) {
        List<RuleTestCase> cases = new ArrayList<>();
        Optional<YamlMap> file = YamlMap.of(root, problems, "a test file");
        if (file.isEmpty()) {
            return cases;
        }
        file.get().checkKeys("a test file", FILE_KEYS, List.of());
        for (YamlMap c : file.get().maps("cases", "case")) {
            int before = problems.count();
            c.checkKeys("a test case", CASE_REQUIRED, List.of());
            String name = c.string("name").orElse("case at line " + c.line());
            List<RuleTestCase.Event> events = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            for (YamlMap e : c.maps("events", "event")) {
                String id = e.string("id").orElse(null);
                if (id != null && !ids.add(id)) {
                    problems.add(
                            e.line("id"),
                            "case '" + name + "': two events have id '" + id + "'",
                            null);
                }
                event(e, problems).ifPresent(events::add);
            }
            List<RuleTestCase.Expected> expected = new ArrayList<>();
            for (YamlMap x : c.maps("expect", "expected alert")) {
                x.checkKeys("an expected alert", EXPECT_KEYS, EXPECT_OPTIONAL);
                List<String> matched = x.strings("matched").orElse(List.of());
                for (String id : matched) {
                    if (!ids.contains(id)) {
                        problems.add(
                                x.line("matched"),
                                "case '"
                                        + name
                                        + "' expects event '"
                                        + id
                                        + "', which the case does not have",
                                "name events by their 'id'");
                    }
                }
                expected.add(
                        new RuleTestCase.Expected(
                                x.string("rule").orElse(ruleId), matched, x.line()));
            }
            if (problems.count() == before) {
                cases.add(
                        new RuleTestCase(
                                problems.file(), c.line(), ruleId, name, events, expected));
            }
        }
        return cases;
    }

    private static Optional<RuleTestCase.Event> event(YamlMap e, Problems problems) {
        int before = problems.count();
        e.checkKeys("an event", EVENT_REQUIRED, EVENT_OPTIONAL);
        String id = e.string("id").orElse("?");
        Duration at = e.duration("at").orElse(Duration.ZERO);
        TransactionType type =
                e.choice("type", TransactionType.class).orElse(TransactionType.CARD_PAYMENT);
        boolean cardPresent = e.bool("card_present").orElse(false);
        Transaction.Builder t =
                Transaction.newBuilder()
                        .setTransactionId(id)
                        .setAccountId(e.string("account").orElse(DEFAULT_ACCOUNT))
                        .setEventTime(Instant.EPOCH.plus(at))
                        .setType(type)
                        .setStatus(
                                e.choice("status", TransactionStatus.class)
                                        .orElse(TransactionStatus.APPROVED))
                        .setChannel(
                                e.choice("channel", Channel.class)
                                        .orElse(defaultChannel(type, cardPresent)))
                        .setCardPresent(cardPresent);
        String currency = e.string("currency").orElse("EUR");
        Optional<String> amount = e.string("amount");
        if (amount.isPresent() || TransactionValidator.MONEY_MOVEMENTS.contains(type)) {
            try {
                t.setAmount(Amounts.of(amount.orElse("10.00"), currency));
            } catch (RuntimeException ex) {
                problems.add(
                        e.line("amount"),
                        "amount '" + amount.orElse("") + " " + currency + "' is not an amount",
                        "write the amount in major units, e.g. 12.50, and a currency such as EUR");
            }
        }
        boolean paysMerchant =
                type == TransactionType.CARD_PAYMENT || type == TransactionType.REFUND;
        if (paysMerchant || e.has("mcc") || e.has("merchant")) {
            String mcc = e.string("mcc").orElse("5411");
            t.setMerchant(
                    Merchant.newBuilder()
                            .setMerchantId(e.string("merchant").orElse("m-" + mcc))
                            .setCategoryCode(mcc)
                            .setCountry(e.string("merchant_country").orElse(null))
                            .build());
        }
        e.string("counterparty").ifPresent(t::setCounterpartyId);
        e.string("counterparty_country").ifPresent(t::setCounterpartyCountry);
        e.string("card")
                .or(() -> paysMerchant || cardPresent ? Optional.of("card-1") : Optional.empty())
                .ifPresent(t::setCardToken);
        e.string("device").ifPresent(t::setDeviceId);
        e.string("ip").ifPresent(t::setIpAddress);
        if (e.has("lat") || e.has("lon")) {
            try {
                t.setLocation(
                        Location.newBuilder()
                                .setLatitude(Double.parseDouble(e.string("lat").orElse("x")))
                                .setLongitude(Double.parseDouble(e.string("lon").orElse("x")))
                                .setCountry(e.string("country").orElse(null))
                                .build());
            } catch (NumberFormatException ex) {
                problems.add(
                        e.line(),
                        "event '" + id + "': a location needs both 'lat' and 'lon' as numbers",
                        "e.g. lat: 48.8566, lon: 2.3522, country: FR");
            }
        } else if (e.has("country")) {
            problems.add(
                    e.line("country"),
                    "event '" + id + "': 'country' is the country of the event's location",
                    "give 'lat' and 'lon' too");
        }
        return problems.count() == before
                ? Optional.of(
                        new RuleTestCase.Event(
                                id, e.string("account").orElse(DEFAULT_ACCOUNT), at, t.build()))
                : Optional.empty();
    }

    private static Channel defaultChannel(TransactionType type, boolean cardPresent) {
        if (cardPresent) {
            return Channel.POS;
        }
        return switch (type) {
            case CARD_PAYMENT, REFUND -> Channel.ECOMMERCE;
            case WITHDRAWAL -> Channel.ATM;
            case DEPOSIT -> Channel.BRANCH;
            default -> Channel.MOBILE;
        };
    }
}
