package dev.argus.job.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** RFC 6902 JSON patches, the operations add, remove, replace and test, on parsed YAML. */
final class JsonPatch {

    private JsonPatch() {}

    static void apply(Map<String, Object> document, List<?> operations, String source) {
        for (Object o : operations) {
            Map<String, Object> op = Kustomize.map(o, source + ": a patch operation");
            String name = (String) op.get("op");
            String path = (String) op.get("path");
            if (path == null || !path.startsWith("/")) {
                throw new IllegalArgumentException(source + ": " + op + " needs a path /...");
            }
            List<String> tokens = new ArrayList<>();
            for (String t : path.substring(1).split("/", -1)) {
                tokens.add(t.replace("~1", "/").replace("~0", "~"));
            }
            Object parent = document;
            for (String token : tokens.subList(0, tokens.size() - 1)) {
                parent = child(parent, token, path, source);
            }
            String last = tokens.get(tokens.size() - 1);
            switch (name) {
                case "add" -> add(parent, last, Kustomize.deepCopy(op.get("value")), path, source);
                case "remove" -> {
                    child(parent, last, path, source);
                    remove(parent, last);
                }
                case "replace" -> {
                    child(parent, last, path, source);
                    remove(parent, last);
                    add(parent, last, Kustomize.deepCopy(op.get("value")), path, source);
                }
                case "test" -> {
                    Object actual = child(parent, last, path, source);
                    if (!Objects.equals(actual, op.get("value"))) {
                        throw new IllegalArgumentException(
                                source
                                        + ": test of "
                                        + path
                                        + " failed: it is "
                                        + actual
                                        + ", the patch expects "
                                        + op.get("value"));
                    }
                }
                default ->
                        throw new IllegalArgumentException(
                                source + ": patch operation '" + name + "' is not implemented");
            }
        }
    }

    private static Object child(Object node, String token, String path, String source) {
        if (node instanceof Map<?, ?> map && map.containsKey(token)) {
            return map.get(token);
        }
        if (node instanceof List<?> list && token.matches("0|[1-9][0-9]*")) {
            int i = Integer.parseInt(token);
            if (i < list.size()) {
                return list.get(i);
            }
        }
        throw new IllegalArgumentException(source + ": " + path + " does not exist");
    }

    @SuppressWarnings("unchecked")
    private static void add(Object parent, String token, Object value, String path, String source) {
        if (parent instanceof Map<?, ?> map) {
            ((Map<String, Object>) map).put(token, value);
        } else if (parent instanceof List<?> list) {
            List<Object> l = (List<Object>) list;
            if (token.equals("-")) {
                l.add(value);
            } else if (token.matches("0|[1-9][0-9]*") && Integer.parseInt(token) <= l.size()) {
                l.add(Integer.parseInt(token), value);
            } else {
                throw new IllegalArgumentException(source + ": no index " + path);
            }
        } else {
            throw new IllegalArgumentException(source + ": " + path + " has no parent to add to");
        }
    }

    private static void remove(Object parent, String token) {
        if (parent instanceof Map<?, ?> map) {
            map.remove(token);
        } else {
            ((List<?>) parent).remove(Integer.parseInt(token));
        }
    }
}
