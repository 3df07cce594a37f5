package dev.argus.rules.cel;

import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * CEL types derived from Avro schemas, so that rule conditions are type-checked against exactly the
 * fields of the transaction (and later the profile) that the job sees. Records become CEL structs
 * named {@code argus.<Record>}; enums and strings are {@code string}; {@code int}, {@code long} and
 * timestamps (epoch milliseconds) are {@code int}; {@code float} and {@code double} are {@code
 * double}; an optional field ({@code ["null", T]}) has type T and is absent when null, so
 * conditions test it with {@code has(...)}.
 */
public final class AvroCelTypes implements CelTypeProvider {
    private final Map<String, CelType> types = new LinkedHashMap<>();

    /** Declares a struct type; the caller lists the fields of structs it builds by hand. */
    public StructType struct(String name, Map<String, CelType> fields) {
        StructType type =
                StructType.create(
                        name,
                        ImmutableSet.copyOf(fields.keySet()),
                        field -> Optional.ofNullable(fields.get(field)));
        types.put(name, type);
        return type;
    }

    /** The struct type of an Avro record schema, declaring nested records on the way. */
    public StructType record(Schema schema) {
        String name = "argus." + schema.getName();
        CelType known = types.get(name);
        if (known instanceof StructType struct) {
            return struct;
        }
        Map<String, CelType> fields = new LinkedHashMap<>();
        for (Schema.Field field : schema.getFields()) {
            fields.put(field.name(), of(field.schema()));
        }
        return struct(name, fields);
    }

    /** The CEL type of an Avro schema. */
    public CelType of(Schema schema) {
        if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis
                || schema.getLogicalType() instanceof LogicalTypes.TimestampMicros) {
            return SimpleType.INT;
        }
        return switch (schema.getType()) {
            case RECORD -> record(schema);
            case ENUM, STRING -> SimpleType.STRING;
            case INT, LONG -> SimpleType.INT;
            case FLOAT, DOUBLE -> SimpleType.DOUBLE;
            case BOOLEAN -> SimpleType.BOOL;
            case BYTES, FIXED -> SimpleType.BYTES;
            case ARRAY -> ListType.create(of(schema.getElementType()));
            case MAP -> MapType.create(SimpleType.STRING, of(schema.getValueType()));
            case UNION -> of(nonNull(schema));
            case NULL -> SimpleType.NULL_TYPE;
        };
    }

    static Schema nonNull(Schema union) {
        List<Schema> branches =
                union.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
        if (branches.size() != 1) {
            throw new IllegalArgumentException(
                    "only optional unions [\"null\", T] can be used in rules: " + union);
        }
        return branches.get(0);
    }

    @Override
    public ImmutableCollection<CelType> types() {
        return ImmutableList.copyOf(types.values());
    }

    @Override
    public Optional<CelType> findType(String typeName) {
        return Optional.ofNullable(types.get(typeName));
    }
}
