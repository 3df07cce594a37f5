package dev.argus.rules.cel;

import dev.argus.model.Amounts;
import dev.argus.model.Geo;
import dev.argus.model.Location;
import dev.argus.model.Money;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.Transaction;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CEL environment of rule conditions and explanation templates: the variables, their types
 * (derived from the Avro schemas) and the fraud helpers. Compiling checks an expression once; the
 * resulting program is immutable and thread-safe, evaluated per event without reflection.
 *
 * <p>Variables: {@code txn} (the event), {@code profile} (the account's features before the event),
 * {@code matched} (the events matched so far, by stage name: a list per stage), {@code lists} (the
 * pack's named lists). Helpers are listed in {@link #HELPERS} and documented in docs/rules.md.
 */
public final class RuleEnvironment {

    /** Each helper's signature and meaning, for docs and hints. */
    public static final Map<String, String> HELPERS = new LinkedHashMap<>();

    /** Helpers of two transactions (as CEL maps) that give a number: time and travel. */
    @SuppressWarnings("rawtypes")
    private static final Map<String, java.util.function.BiFunction<Map, Map, Double>>
            TIME_AND_PLACE = new LinkedHashMap<>();

    static {
        TIME_AND_PLACE.put("minutes_between", (x, y) -> millisBetween(x, y) / 60_000.0);
        TIME_AND_PLACE.put("hours_between", (x, y) -> millisBetween(x, y) / 3_600_000.0);
        TIME_AND_PLACE.put("days_between", (x, y) -> millisBetween(x, y) / 86_400_000.0);
        TIME_AND_PLACE.put(
                "speed_kmh",
                (x, y) ->
                        Geo.speedKmh(
                                Geo.distanceKm(location(x), location(y)),
                                (long) millisBetween(x, y)));
    }

    private static final CelOptions OPTIONS =
            CelOptions.current().enableHeterogeneousNumericComparisons(true).build();

    static {
        HELPERS.put(
                "distance_km(Location, Location) -> double",
                "great-circle distance between two locations, in km");
        HELPERS.put(
                "distance_km(Transaction, Transaction) -> double",
                "distance between the locations of two events, in km (both need a location)");
        HELPERS.put(
                "minutes_between(Transaction, Transaction) -> double",
                "event time of the second minus that of the first, in minutes");
        HELPERS.put("hours_between(Transaction, Transaction) -> double", "the same, in hours");
        HELPERS.put("days_between(Transaction, Transaction) -> double", "the same, in days");
        HELPERS.put(
                "speed_kmh(Transaction, Transaction) -> double",
                "the speed needed to travel between the locations of two events in the time between"
                        + " them, in km/h (infinite when the times are equal and the places differ)");
        HELPERS.put(
                "sum_amount(list(Transaction)) -> int",
                "sum of amount.amount_minor over the events that have an amount");
        HELPERS.put(
                "max_amount(list(Transaction)) -> int",
                "largest amount.amount_minor of the events (0 for none)");
        HELPERS.put("last(list(Transaction)) -> Transaction", "the last event of a non-empty list");
        HELPERS.put("money(Money) -> string", "an amount for people, e.g. '1234.50 EUR'");
        HELPERS.put(
                "money(int, string) -> string",
                "the same from minor units and a currency, e.g. money(sum_amount(matched.small),"
                        + " 'EUR')");
    }

    private final List<String> listNames;

    /** An environment in which {@code lists.<name>} is defined for each of {@code listNames}. */
    public RuleEnvironment(Collection<String> listNames) {
        this.listNames = List.copyOf(listNames);
    }

    /**
     * Compiles a condition (a {@code bool} expression).
     *
     * @param description where the expression comes from, shown in errors (file name)
     * @param stages the stage names visible in {@code matched}
     */
    public CelValidationResult compileCondition(
            String source, String description, List<String> stages) {
        return compiler(stages, SimpleType.BOOL).compile(source, description);
    }

    /** Compiles a template placeholder: any expression, rendered as text. */
    public CelValidationResult compileExpression(
            String source, String description, List<String> stages) {
        return compiler(stages, SimpleType.DYN).compile(source, description);
    }

    /** A program for an expression that compiled without errors. */
    public static CelRuntime.Program program(CelValidationResult compiled) {
        try {
            return Runtime.INSTANCE.createProgram(compiled.getAst());
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalStateException("cannot plan a checked CEL expression", e);
        }
    }

    /** The fields of {@code txn}, for hints. */
    public static List<String> transactionFields() {
        return Transaction.getClassSchema().getFields().stream().map(f -> f.name()).toList();
    }

    /** The features of {@code profile}, for hints. */
    public static List<String> profileFields() {
        return ProfileFeatures.getClassSchema().getFields().stream().map(f -> f.name()).toList();
    }

    private CelCompiler compiler(List<String> stages, CelType resultType) {
        AvroCelTypes types = new AvroCelTypes();
        StructType txn = types.record(Transaction.getClassSchema());
        StructType location = types.record(Location.getClassSchema());
        StructType money = types.record(Money.getClassSchema());
        StructType profile = types.record(ProfileFeatures.getClassSchema());
        Map<String, CelType> listFields = new LinkedHashMap<>();
        listNames.forEach(n -> listFields.put(n, ListType.create(SimpleType.STRING)));
        StructType lists = types.struct("argus.Lists", listFields);
        Map<String, CelType> stageFields = new LinkedHashMap<>();
        stages.forEach(s -> stageFields.put(s, ListType.create(txn)));
        StructType matched = types.struct("argus.Matched", stageFields);
        ListType txns = ListType.create(txn);

        return CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(OPTIONS)
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .setTypeProvider(types)
                .addVar("txn", txn)
                .addVar("profile", profile)
                .addVar("lists", lists)
                .addVar("matched", matched)
                .setResultType(resultType)
                .addFunctionDeclarations(
                        TIME_AND_PLACE.keySet().stream()
                                .map(
                                        name ->
                                                fn(
                                                        name,
                                                        CelOverloadDecl.newGlobalOverload(
                                                                name + "_txn",
                                                                SimpleType.DOUBLE,
                                                                txn,
                                                                txn)))
                                .toList())
                .addFunctionDeclarations(
                        fn(
                                "distance_km",
                                CelOverloadDecl.newGlobalOverload(
                                        "distance_km_location",
                                        SimpleType.DOUBLE,
                                        location,
                                        location),
                                CelOverloadDecl.newGlobalOverload(
                                        "distance_km_txn", SimpleType.DOUBLE, txn, txn)),
                        fn(
                                "sum_amount",
                                CelOverloadDecl.newGlobalOverload(
                                        "sum_amount_list", SimpleType.INT, txns)),
                        fn(
                                "max_amount",
                                CelOverloadDecl.newGlobalOverload(
                                        "max_amount_list", SimpleType.INT, txns)),
                        fn("last", CelOverloadDecl.newGlobalOverload("last_list", txn, txns)),
                        fn(
                                "money",
                                CelOverloadDecl.newGlobalOverload(
                                        "money_money", SimpleType.STRING, money),
                                CelOverloadDecl.newGlobalOverload(
                                        "money_int_string",
                                        SimpleType.STRING,
                                        SimpleType.INT,
                                        SimpleType.STRING)))
                .build();
    }

    private static CelFunctionDecl fn(String name, CelOverloadDecl... overloads) {
        return CelFunctionDecl.newFunctionDeclaration(name, overloads);
    }

    /**
     * The helpers' implementations by overload id, over CEL runtime values (records as maps, lists,
     * {@code Long}, {@code Double}, {@code String}): CEL's bindings and {@link ConditionPlan} call
     * the same code.
     */
    static final Map<String, java.util.function.Function<Object[], Object>> FUNCTIONS = functions();

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Map<String, java.util.function.Function<Object[], Object>> functions() {
        Map<String, java.util.function.Function<Object[], Object>> f = new LinkedHashMap<>();
        f.put("distance_km_location", a -> Geo.distanceKm((Map) a[0], (Map) a[1]));
        f.put("distance_km_txn", a -> Geo.distanceKm(location((Map) a[0]), location((Map) a[1])));
        TIME_AND_PLACE.forEach(
                (name, fn) -> f.put(name + "_txn", a -> fn.apply((Map) a[0], (Map) a[1])));
        f.put(
                "sum_amount_list",
                a -> {
                    long sum = 0;
                    for (Object t : (List<Object>) a[0]) {
                        sum += amountMinor((Map) t);
                    }
                    return sum;
                });
        f.put(
                "max_amount_list",
                a -> {
                    long max = 0;
                    for (Object t : (List<Object>) a[0]) {
                        max = Math.max(max, amountMinor((Map) t));
                    }
                    return max;
                });
        f.put(
                "last_list",
                a -> {
                    List<Object> list = (List<Object>) a[0];
                    if (list.isEmpty()) {
                        throw new IllegalArgumentException("last() of an empty list");
                    }
                    return list.get(list.size() - 1);
                });
        f.put(
                "money_money",
                a -> {
                    Map m = (Map) a[0];
                    return Amounts.format(
                            new Money((Long) m.get("amount_minor"), (String) m.get("currency")));
                });
        f.put("money_int_string", a -> Amounts.format(new Money((Long) a[0], (String) a[1])));
        return f;
    }

    /**
     * The argument types of each overload, as CEL's bindings declare them; the time and travel
     * helpers of two transactions, not listed, take two maps.
     */
    private static final Map<String, List<Class<?>>> ARGUMENTS =
            Map.of(
                    "distance_km_location", List.of(Map.class, Map.class),
                    "distance_km_txn", List.of(Map.class, Map.class),
                    "sum_amount_list", List.of(List.class),
                    "max_amount_list", List.of(List.class),
                    "last_list", List.of(List.class),
                    "money_money", List.of(Map.class),
                    "money_int_string", List.of(Long.class, String.class));

    /** Built on first use, after the helpers above. */
    private static final class Runtime {
        static final CelRuntime INSTANCE =
                CelRuntimeFactory.standardCelRuntimeBuilder()
                        // an evaluation stops past this many comprehension iterations in all
                        .setOptions(
                                OPTIONS.toBuilder()
                                        .comprehensionMaxIterations(
                                                ConditionCost.RUN_TIME_MAX_ITERATIONS)
                                        .build())
                        .addFunctionBindings(bindings())
                        .build();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<CelFunctionBinding> bindings() {
        List<CelFunctionBinding> b = new ArrayList<>();
        FUNCTIONS.forEach(
                (id, fn) -> {
                    List<Class<?>> args = ARGUMENTS.getOrDefault(id, List.of(Map.class, Map.class));
                    if (args.size() == 1) {
                        b.add(
                                CelFunctionBinding.from(
                                        id, (Class) args.get(0), x -> fn.apply(new Object[] {x})));
                    } else {
                        b.add(
                                CelFunctionBinding.from(
                                        id,
                                        (Class) args.get(0),
                                        (Class) args.get(1),
                                        (x, y) -> fn.apply(new Object[] {x, y})));
                    }
                });
        return b;
    }

    @SuppressWarnings("rawtypes")
    private static long amountMinor(Map txn) {
        Object amount = txn.get("amount");
        return amount instanceof Map m ? (Long) m.get("amount_minor") : 0L;
    }

    @SuppressWarnings("rawtypes")
    private static Map location(Map txn) {
        Object location = txn.get("location");
        if (!(location instanceof Map m)) {
            throw new IllegalArgumentException(
                    "event " + txn.get("transaction_id") + " has no location");
        }
        return m;
    }

    @SuppressWarnings("rawtypes")
    private static double millisBetween(Map first, Map second) {
        return (Long) second.get("event_time") - (Long) first.get("event_time");
    }
}
