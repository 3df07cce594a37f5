package dev.argus.job.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What {@code kubectl kustomize DIR} prints, for the part of kustomize that deploy/kubernetes uses,
 * so that a test can check the rendered resources on a machine without kustomize.
 *
 * <p>It implements: {@code resources} (files, and directories with a kustomization.yaml), {@code
 * namespace}, {@code labels} (pairs on metadata.labels only), {@code configMapGenerator} (files and
 * literals; behavior create or replace; the name's hash suffix), {@code configurations}
 * (nameReference for ConfigMaps), and {@code patches} from files or inline: JSON 6902 patches (add,
 * remove, replace, test) and strategic merge patches of maps and scalars, or of lists only where
 * the resource has none (how kustomize merges an existing list of a custom resource depends on its
 * version, so such a patch is refused: write a JSON patch). Everything else is refused with the
 * field's name, so a kustomization that uses more cannot pass unchecked: implement the field here
 * first. Like kustomize, files must lie under the kustomization's folder (directories of resources
 * may lie anywhere).
 *
 * <p>Stricter than kustomize: a patch that changes nothing is an error, and a patch target's name
 * is matched exactly (kustomize reads it as a regular expression; names with characters that would
 * mean more there are refused).
 */
final class Kustomize {

    private static final Set<String> FIELDS =
            Set.of(
                    "apiVersion",
                    "kind",
                    "resources",
                    "namespace",
                    "labels",
                    "configMapGenerator",
                    "configurations",
                    "patches");

    /** Kinds this renderer knows to be namespaced; another kind is refused. */
    private static final Set<String> NAMESPACED =
            Set.of(
                    "FlinkDeployment",
                    "ConfigMap",
                    "ServiceAccount",
                    "Role",
                    "RoleBinding",
                    "PersistentVolumeClaim");

    private static final Pattern PLAIN_NAME = Pattern.compile("[a-z0-9-]+");

    /** A resource with the name its generator gave it, before the hash suffix. */
    private final Map<Map<String, Object>, String> generated = new IdentityHashMap<>();

    private final List<NameReference> nameReferences = new ArrayList<>();

    private record NameReference(String kind, String group, String path) {}

    private Kustomize() {}

    /** The resources {@code kubectl kustomize dir} prints, in the order kustomize keeps. */
    static List<Map<String, Object>> build(Path dir) throws IOException {
        Kustomize k = new Kustomize();
        List<Map<String, Object>> resources = k.accumulate(dir.toAbsolutePath().normalize());
        k.hashGeneratedNames(resources);
        return resources;
    }

    private List<Map<String, Object>> accumulate(Path dir) throws IOException {
        Path file = dir.resolve("kustomization.yaml");
        for (String other : List.of("kustomization.yml", "Kustomization")) {
            if (Files.exists(dir.resolve(other))) {
                throw refuse(
                        dir, "the kustomization file is " + other + "; use kustomization.yaml");
            }
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    dir + " has no kustomization.yaml: a resource directory needs one");
        }
        Map<String, Object> k = map(loadOne(file), file.toString());
        for (String field : k.keySet()) {
            if (!FIELDS.contains(field)) {
                throw refuse(dir, "field '" + field + "' is not implemented by this renderer");
            }
        }
        if (!"kustomize.config.k8s.io/v1beta1".equals(k.get("apiVersion"))
                || !"Kustomization".equals(k.get("kind"))) {
            throw refuse(
                    dir, "needs apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization");
        }
        for (Object c : list(k.get("configurations"), "configurations")) {
            readConfiguration(dir, fileUnder(dir, (String) c));
        }
        List<Map<String, Object>> resources = new ArrayList<>();
        for (Object r : list(k.get("resources"), "resources")) {
            Path path = dir.resolve((String) r).normalize();
            if (Files.isDirectory(path)) {
                resources.addAll(accumulate(path));
            } else {
                for (Object doc : loadAll(fileUnder(dir, (String) r))) {
                    resources.add(map(doc, path.toString()));
                }
            }
        }
        for (Object g : list(k.get("configMapGenerator"), "configMapGenerator")) {
            generate(dir, map(g, "configMapGenerator"), resources);
        }
        if (k.containsKey("namespace")) {
            String namespace = (String) k.get("namespace");
            for (Map<String, Object> resource : resources) {
                if (!NAMESPACED.contains(resource.get("kind"))) {
                    throw refuse(
                            dir,
                            "whether kind "
                                    + resource.get("kind")
                                    + " is namespaced is not known here");
                }
                metadata(resource).put("namespace", namespace);
            }
        }
        for (Object p : list(k.get("patches"), "patches")) {
            patch(dir, map(p, "patches"), resources);
        }
        for (Object l : list(k.get("labels"), "labels")) {
            Map<String, Object> labels = map(l, "labels");
            for (String field : labels.keySet()) {
                if (!field.equals("pairs")) {
                    throw refuse(dir, "labels." + field + " is not implemented (pairs only)");
                }
            }
            for (Map<String, Object> resource : resources) {
                @SuppressWarnings("unchecked")
                Map<String, Object> on =
                        (Map<String, Object>)
                                metadata(resource)
                                        .computeIfAbsent("labels", x -> new LinkedHashMap<>());
                on.putAll(map(labels.get("pairs"), "labels.pairs"));
            }
        }
        return resources;
    }

    private void readConfiguration(Path dir, Path file) throws IOException {
        Map<String, Object> config = map(loadOne(file), file.toString());
        for (String field : config.keySet()) {
            if (!field.equals("nameReference")) {
                throw refuse(dir, file.getFileName() + ": '" + field + "' is not implemented");
            }
        }
        for (Object ref : list(config.get("nameReference"), "nameReference")) {
            Map<String, Object> r = map(ref, "nameReference");
            if (!"ConfigMap".equals(r.get("kind")) || !"v1".equals(r.get("version"))) {
                throw refuse(dir, "nameReference: only ConfigMap (version v1) is implemented");
            }
            for (Object spec : list(r.get("fieldSpecs"), "fieldSpecs")) {
                Map<String, Object> s = map(spec, "fieldSpecs");
                if (!Set.of("kind", "group", "path").containsAll(s.keySet())) {
                    throw refuse(dir, "fieldSpecs: only kind, group and path are implemented");
                }
                nameReferences.add(
                        new NameReference(
                                (String) s.get("kind"),
                                (String) s.get("group"),
                                (String) s.get("path")));
            }
        }
    }

    private void generate(Path dir, Map<String, Object> g, List<Map<String, Object>> resources)
            throws IOException {
        if (!Set.of("name", "files", "literals", "behavior").containsAll(g.keySet())) {
            throw refuse(dir, "configMapGenerator: only name, files, literals and behavior");
        }
        String name = (String) g.get("name");
        Map<String, String> data = new TreeMap<>();
        for (Object f : list(g.get("files"), "files")) {
            String spec = (String) f;
            int eq = spec.indexOf('=');
            String key = eq < 0 ? Path.of(spec).getFileName().toString() : spec.substring(0, eq);
            Path file = fileUnder(dir, eq < 0 ? spec : spec.substring(eq + 1));
            put(dir, data, key, Files.readString(file, StandardCharsets.UTF_8));
        }
        for (Object l : list(g.get("literals"), "literals")) {
            String literal = (String) l;
            int eq = literal.indexOf('=');
            put(dir, data, literal.substring(0, eq), literal.substring(eq + 1));
        }
        Map<String, Object> configMap = new LinkedHashMap<>();
        configMap.put("apiVersion", "v1");
        configMap.put("kind", "ConfigMap");
        configMap.put("metadata", new LinkedHashMap<>(Map.of("name", name)));
        configMap.put("data", new LinkedHashMap<>(data));
        String behavior = (String) g.getOrDefault("behavior", "create");
        Map<String, Object> existing = null;
        for (Map<String, Object> r : resources) {
            if ("ConfigMap".equals(r.get("kind")) && name.equals(metadata(r).get("name"))) {
                existing = r;
            }
        }
        switch (behavior) {
            case "create" -> {
                if (existing != null) {
                    throw refuse(dir, "ConfigMap " + name + " exists: use behavior replace");
                }
                resources.add(configMap);
            }
            case "replace" -> {
                if (existing == null) {
                    throw refuse(dir, "behavior replace, but no ConfigMap " + name + " to replace");
                }
                // the replaced one keeps its place and its metadata (namespace, labels)
                existing.put("data", configMap.get("data"));
                configMap = existing;
            }
            default ->
                    throw refuse(
                            dir, "configMapGenerator behavior " + behavior + " is not implemented");
        }
        generated.put(configMap, name);
    }

    private static void put(Path dir, Map<String, String> data, String key, String value) {
        if (data.put(key, value) != null) {
            throw refuse(dir, "configMapGenerator: key " + key + " given twice");
        }
    }

    private void patch(Path dir, Map<String, Object> entry, List<Map<String, Object>> resources)
            throws IOException {
        if (!Set.of("path", "patch", "target").containsAll(entry.keySet())
                || entry.containsKey("path") == entry.containsKey("patch")) {
            throw refuse(dir, "patches: one of path or patch, and target; nothing else");
        }
        Object body =
                entry.containsKey("path")
                        ? loadOne(fileUnder(dir, (String) entry.get("path")))
                        : load((String) entry.get("patch"));
        String what = (String) entry.getOrDefault("path", "an inline patch");
        Map<String, Object> target =
                entry.containsKey("target") ? map(entry.get("target"), "target") : null;
        if (target != null) {
            if (!Set.of("group", "version", "kind", "name").containsAll(target.keySet())) {
                throw refuse(dir, what + ": target by group, version, kind and name only");
            }
            if (target.containsKey("name")
                    && !PLAIN_NAME.matcher((String) target.get("name")).matches()) {
                throw refuse(dir, what + ": a target name other than [a-z0-9-]+");
            }
        }
        List<Map<String, Object>> matched = new ArrayList<>();
        if (body instanceof List<?> operations) {
            if (target == null) {
                throw refuse(dir, what + ": a JSON patch needs a target");
            }
            for (Map<String, Object> r : resources) {
                if (matches(r, target)) {
                    JsonPatch.apply(r, operations, dir.resolve(what).toString());
                    matched.add(r);
                }
            }
        } else {
            Map<String, Object> smp = map(body, what);
            if (target == null) {
                target = new LinkedHashMap<>();
                target.put("kind", smp.get("kind"));
                target.put("name", metadata(smp).get("name"));
                String apiVersion = (String) smp.get("apiVersion");
                target.put("group", apiVersion.contains("/") ? apiVersion.split("/")[0] : "");
            }
            for (Map<String, Object> r : resources) {
                if (matches(r, target)) {
                    Map<String, Object> merged = deepCopy(smp);
                    merged.remove("apiVersion");
                    merged.remove("kind");
                    Map<String, Object> meta = metadata(merged);
                    meta.remove("name");
                    if (meta.containsKey("namespace")) {
                        throw refuse(dir, what + ": a namespace in a patch is not implemented");
                    }
                    if (meta.isEmpty()) {
                        merged.remove("metadata");
                    }
                    mergeMaps(r, merged, "", dir.resolve(what).toString());
                    matched.add(r);
                }
            }
        }
        if (matched.isEmpty()) {
            throw refuse(dir, what + " matches no resource (target " + target + ")");
        }
    }

    private static boolean matches(Map<String, Object> resource, Map<String, Object> target) {
        String apiVersion = (String) resource.get("apiVersion");
        String group = apiVersion.contains("/") ? apiVersion.split("/")[0] : "";
        String version = apiVersion.contains("/") ? apiVersion.split("/")[1] : apiVersion;
        return (!target.containsKey("kind") || target.get("kind").equals(resource.get("kind")))
                && (!target.containsKey("name")
                        || target.get("name").equals(metadata(resource).get("name")))
                && (!target.containsKey("group") || target.get("group").equals(group))
                && (!target.containsKey("version") || target.get("version").equals(version));
    }

    /** A strategic merge patch of a custom resource: maps merge, null deletes, scalars replace. */
    @SuppressWarnings("unchecked")
    private static void mergeMaps(
            Map<String, Object> into, Map<String, Object> patch, String path, String source) {
        for (Map.Entry<String, Object> e : patch.entrySet()) {
            String key = e.getKey();
            String at = path + "/" + key;
            if (key.startsWith("$")) {
                throw new IllegalArgumentException(
                        source + ": patch directive " + at + " is not implemented");
            }
            Object value = e.getValue();
            Object current = into.get(key);
            if (value == null) {
                into.remove(key);
            } else if (value instanceof Map<?, ?> m && current instanceof Map<?, ?> c) {
                mergeMaps((Map<String, Object>) c, (Map<String, Object>) m, at, source);
            } else if (value instanceof List<?> && current != null) {
                throw new IllegalArgumentException(
                        source
                                + ": a strategic merge patch of the existing list "
                                + at
                                + ": kustomize versions merge the lists of a custom resource"
                                + " differently; change it with a JSON 6902 patch");
            } else {
                into.put(key, deepCopy(value));
            }
        }
    }

    /** kustomize's name suffix of generated ConfigMaps and the references to them. */
    private void hashGeneratedNames(List<Map<String, Object>> resources) {
        for (Map.Entry<Map<String, Object>, String> g : generated.entrySet()) {
            Map<String, Object> configMap = g.getKey();
            String name = g.getValue();
            @SuppressWarnings("unchecked")
            Map<String, String> data = (Map<String, String>) configMap.get("data");
            String hashed = name + "-" + configMapHash(name, data);
            metadata(configMap).put("name", hashed);
            Object namespace = metadata(configMap).get("namespace");
            for (Map<String, Object> r : resources) {
                if (!Objects.equals(namespace, metadata(r).get("namespace"))) {
                    continue;
                }
                for (NameReference ref : nameReferences) {
                    if (matches(r, kindAndGroup(ref))) {
                        rename(r, ref.path().split("/"), 0, name, hashed);
                    }
                }
            }
        }
    }

    private static Map<String, Object> kindAndGroup(NameReference ref) {
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("kind", ref.kind());
        if (ref.group() != null) {
            target.put("group", ref.group());
        }
        return target;
    }

    @SuppressWarnings("unchecked")
    private static void rename(Object node, String[] path, int i, String from, String to) {
        if (node instanceof List<?> list) {
            list.forEach(element -> rename(element, path, i, from, to));
        } else if (node instanceof Map<?, ?> map) {
            Map<String, Object> m = (Map<String, Object>) map;
            if (i == path.length - 1) {
                if (from.equals(m.get(path[i]))) {
                    m.put(path[i], to);
                }
            } else if (m.containsKey(path[i])) {
                rename(m.get(path[i]), path, i + 1, from, to);
            }
        }
    }

    /**
     * kustomize's hash of a ConfigMap: SHA-256 of Go's JSON encoding of {data, kind, name} (keys
     * sorted, HTML characters escaped), its first ten hex digits with 0, 1, 3, a and e replaced so
     * that the suffix has no vowels and no digits that read as letters.
     */
    static String configMapHash(String name, Map<String, String> data) {
        StringBuilder json = new StringBuilder("{\"data\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
            json.append(first ? "" : ",").append(goJson(e.getKey())).append(':');
            json.append(goJson(e.getValue()));
            first = false;
        }
        json.append("},\"kind\":\"ConfigMap\",\"name\":").append(goJson(name)).append('}');
        try {
            String hex =
                    HexFormat.of()
                            .formatHex(
                                    MessageDigest.getInstance("SHA-256")
                                            .digest(
                                                    json.toString()
                                                            .getBytes(StandardCharsets.UTF_8)));
            StringBuilder out = new StringBuilder();
            for (char c : hex.substring(0, 10).toCharArray()) {
                out.append(
                        switch (c) {
                            case '0' -> 'g';
                            case '1' -> 'h';
                            case '3' -> 'k';
                            case 'a' -> 'm';
                            case 'e' -> 't';
                            default -> c;
                        });
            }
            return out.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A string as Go's encoding/json writes it. */
    private static String goJson(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20
                            || c == '<'
                            || c == '>'
                            || c == '&'
                            || c == 0x2028
                            || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** A file the kustomization may read: kustomize refuses those outside its folder. */
    private static Path fileUnder(Path dir, String relative) {
        Path file = dir.resolve(relative).normalize();
        if (!file.startsWith(dir)) {
            throw refuse(
                    dir,
                    relative
                            + " lies outside the kustomization's folder: kustomize refuses to read"
                            + " it (load restrictor); copy it under the folder");
        }
        if (!Files.isRegularFile(file)) {
            throw refuse(dir, relative + " does not exist");
        }
        return file;
    }

    static IllegalArgumentException refuse(Path dir, String why) {
        return new IllegalArgumentException(dir.resolve("kustomization.yaml") + ": " + why);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> metadata(Map<String, Object> resource) {
        return (Map<String, Object>)
                resource.computeIfAbsent("metadata", k -> new LinkedHashMap<>());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o, String what) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(what + ": expected a mapping, found " + o);
        }
        return (Map<String, Object>) o;
    }

    private static List<?> list(Object o, String what) {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List<?> l)) {
            throw new IllegalArgumentException(what + ": expected a list, found " + o);
        }
        return l;
    }

    @SuppressWarnings("unchecked")
    static <T> T deepCopy(T o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put((String) k, deepCopy(v)));
            return (T) copy;
        }
        if (o instanceof List<?> l) {
            List<Object> copy = new ArrayList<>();
            l.forEach(v -> copy.add(deepCopy(v)));
            return (T) copy;
        }
        return o;
    }

    private static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    static Object load(String text) {
        return yaml().load(text);
    }

    private static Object loadOne(Path file) throws IOException {
        return load(Files.readString(file));
    }

    static List<Object> loadAll(Path file) throws IOException {
        List<Object> docs = new ArrayList<>();
        for (Object doc : yaml().loadAll(Files.readString(file))) {
            if (doc != null) {
                docs.add(doc);
            }
        }
        return docs;
    }
}
