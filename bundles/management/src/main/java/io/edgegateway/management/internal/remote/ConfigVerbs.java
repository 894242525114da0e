package io.edgegateway.management.internal.remote;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.management.protocol.Json;

/**
 * {@code config-get} and {@code config-set} on Config Admin.
 *
 * <p>A configuration is named by {@code pid}, or by {@code factoryPid} and {@code name} (one instance of a factory
 * configuration, e.g. the file {@code deploy/io.edgegateway.rules.threshold-bearing.cfg} is factory PID
 * {@code io.edgegateway.rules.threshold}, name {@code bearing}; {@code "pid":"io.edgegateway.rules.threshold-bearing"}
 * works too, PIDs have no '-').
 *
 * <p>{@code config-set} checks each setting against the metatype the component's bundle declares (known setting,
 * type, options, required), updates the configuration, then watches the components that read it: when one fails
 * to activate with the new values, the previous configuration is put back and the answer carries the component's
 * failure. A configuration that came from a file in {@code deploy/} is written back into that file too (else
 * fileinstall would restore the file's values at the next start); when the file cannot be written the answer says
 * that the change lasts until the gateway restarts.
 */
final class ConfigVerbs {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigVerbs.class);
    static final String FILEINSTALL = "felix.fileinstall.filename";
    private static final List<String> RESERVED = List.of("service.pid", "service.factoryPid", FILEINSTALL,
            "service.bundleLocation");
    private static final String MASK = "********";
    private static final long SATISFIED_GRACE_MS = 2000;

    private final Supplier<ConfigurationAdmin> cm;
    private final Supplier<ServiceComponentRuntime> scr;
    private final Metatypes metatypes;
    private final long waitMs;

    ConfigVerbs(Supplier<ConfigurationAdmin> cm, Supplier<ServiceComponentRuntime> scr, Metatypes metatypes,
                long waitMs) {
        this.cm = cm;
        this.scr = scr;
        this.metatypes = metatypes;
        this.waitMs = waitMs;
    }

    /** Which configuration a request names. {@code pid} null: a factory instance that does not exist yet. */
    private record Target(String pid, String factoryPid, String name) {
        String label() {
            return pid != null ? pid : factoryPid + " '" + name + "'";
        }
    }

    private ConfigurationAdmin admin() throws RequestException {
        ConfigurationAdmin a = cm.get();
        if (a == null) {
            throw new RequestException(null, "Configuration Admin is not running on this gateway");
        }
        return a;
    }

    // ---- get ---------------------------------------------------------------------------------------------------

    Map<String, Object> get(Request r) throws RequestException {
        if (!r.has("pid") && !r.has("factoryPid")) {
            return list();
        }
        Target t = target(r);
        Configuration c = find(t);
        if (c == null) {
            throw new RequestException(t.factoryPid != null && !r.has("pid") ? "name" : "pid",
                    "no configuration " + t.label() + " on this gateway (config-get without 'pid' lists them)");
        }
        Metatypes.Definition def = metatypes.find(c.getPid(), c.getFactoryPid());
        Map<String, Object> out = describe(c);
        out.put("properties", visible(c.getProperties(), def));
        out.put("components", components(c.getPid(), c.getFactoryPid()));
        if (def != null) {
            out.put("settings", new ArrayList<>(def.settings().keySet()));
        }
        return out;
    }

    private Map<String, Object> list() throws RequestException {
        Configuration[] all;
        try {
            all = admin().listConfigurations(null);
        } catch (IOException | InvalidSyntaxException e) {
            throw new RequestException(null, "cannot list configurations: " + e.getMessage());
        }
        List<Map<String, Object>> out = new ArrayList<>();
        if (all != null) {
            Arrays.sort(all, (a, b) -> a.getPid().compareTo(b.getPid()));
            for (Configuration c : all) {
                out.add(describe(c));
            }
        }
        return Json.obj("configurations", out);
    }

    private static Map<String, Object> describe(Configuration c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", c.getPid());
        m.put("factoryPid", c.getFactoryPid());
        Dictionary<String, Object> p = c.getProperties();
        m.put("file", p == null || p.get(FILEINSTALL) == null ? null : fileName(String.valueOf(p.get(FILEINSTALL))));
        return m;
    }

    private static String fileName(String url) {
        try {
            return Path.of(URI.create(url)).toString();
        } catch (RuntimeException e) {
            return url;
        }
    }

    private static Map<String, Object> visible(Dictionary<String, Object> props, Metatypes.Definition def) {
        Map<String, Object> out = new TreeMap<>();
        if (props == null) {
            return out;
        }
        for (Enumeration<String> keys = props.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            if (RESERVED.contains(k)) {
                continue;
            }
            Object v = props.get(k);
            boolean secret = k.toLowerCase(Locale.ROOT).contains("password")
                    || k.toLowerCase(Locale.ROOT).contains("secret")
                    || def != null && def.settings().containsKey(k) && "Password".equals(def.settings().get(k).type());
            out.put(k, secret && v != null && !String.valueOf(v).isEmpty() ? MASK : jsonValue(v));
        }
        return out;
    }

    private static Object jsonValue(Object v) {
        if (v instanceof Object[] a) {
            return Arrays.asList(a);
        }
        if (v != null && v.getClass().isArray()) {
            List<Object> l = new ArrayList<>();
            for (int i = 0; i < java.lang.reflect.Array.getLength(v); i++) {
                l.add(java.lang.reflect.Array.get(v, i));
            }
            return l;
        }
        return v instanceof Number || v instanceof Boolean || v == null ? v : String.valueOf(v);
    }

    // ---- set ---------------------------------------------------------------------------------------------------

    Map<String, Object> set(Request r) throws RequestException {
        Target t = target(r);
        Map<String, Object> changes = r.object("properties", "the settings to change, e.g. {\"high\": 65}; null "
                + "removes a setting");
        boolean replace = r.flag("replace", false);
        if (changes.isEmpty() && !replace) {
            throw RequestException.invalid("properties", "{}", "is empty: nothing to change");
        }
        ConfigurationAdmin admin = admin();
        Configuration existing = find(t);
        String pid = existing != null ? existing.getPid() : t.pid;
        String factoryPid = existing != null ? existing.getFactoryPid() : t.factoryPid;
        Metatypes.Definition def = metatypes.find(pid, factoryPid);
        if (existing == null && def == null) {
            throw new RequestException(t.factoryPid != null ? "factoryPid" : "pid", "no configuration "
                    + t.label() + " exists and no bundle declares one: check the PID (config-get lists them)");
        }
        if (existing == null && def != null && def.factory() != (t.factoryPid != null)) {
            throw new RequestException(t.factoryPid != null ? "factoryPid" : "pid", def.pid() + " is "
                    + (def.factory() ? "a factory configuration: give factoryPid and name" : "not a factory "
                    + "configuration: give pid"));
        }
        Dictionary<String, Object> before = existing == null ? null : existing.getProperties();
        Map<String, Object> next = new LinkedHashMap<>();
        if (before != null) {
            for (Enumeration<String> keys = before.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                if (!replace || k.equals(FILEINSTALL)) {
                    next.put(k, before.get(k));
                }
            }
        }
        next.remove("service.pid");
        next.remove("service.factoryPid");
        next.remove("service.bundleLocation");
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, Object> e : changes.entrySet()) {
            String key = e.getKey();
            String field = "properties." + key;
            if (RESERVED.contains(key) || key.startsWith("component.")) {
                throw RequestException.invalid(field, e.getValue(), "cannot be set: '" + key + "' is managed by "
                        + "the framework");
            }
            Metatypes.Setting s = def == null ? null : def.settings().get(key);
            if (def != null && s == null && !key.endsWith(".target")) {
                throw new RequestException(field, "unknown setting '" + key + "' of " + def.pid() + " (declared by "
                        + def.bundle() + "); known: " + String.join(", ", def.settings().keySet()));
            }
            if (e.getValue() == null) {
                if (s != null && s.required()) {
                    throw new RequestException(field, "setting '" + key + "' of " + def.pid() + " is required: it "
                            + "cannot be removed");
                }
                if (next.remove(key) != null) {
                    changed.add(key);
                }
                continue;
            }
            Object value = s != null ? s.check(field, e.getValue()) : plain(field, e.getValue());
            if (!sameValue(next.get(key), value)) {
                changed.add(key);
            }
            next.put(key, value);
        }
        if (def != null) {
            for (Metatypes.Setting s : def.settings().values()) {
                if (s.required() && !next.containsKey(s.id())) {
                    throw RequestException.missing("properties." + s.id(), "setting '" + s.id() + "' of " + def.pid()
                            + " is required");
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (changed.isEmpty() && existing != null && !replace) {
            out.put("pid", pid);
            out.put("changed", changed);
            out.put("message", "unchanged: the configuration already has these values");
            return out;
        }
        Configuration c;
        try {
            c = existing != null ? existing : t.factoryPid != null
                    ? admin.getFactoryConfiguration(t.factoryPid, t.name, "?")
                    : admin.getConfiguration(t.pid, "?");
            c.update(new Hashtable<>(next));
        } catch (IOException | RuntimeException e) {
            throw new RequestException(null, "Configuration Admin refused the update of " + t.label() + ": "
                    + e.getMessage());
        }
        pid = c.getPid();
        LOG.info("Remote management: configuration {} changed ({}) by {}", pid, String.join(", ", changed),
                r.origin());
        Watch w = watch(pid, factoryPid != null ? factoryPid : pid, changes, next);
        if (w.failure != null) {
            String restored = restore(c, before);
            throw new RequestException("properties", "component " + w.component + " failed with the new "
                    + "configuration of " + pid + ": " + w.failure + "; " + restored);
        }
        out.put("pid", pid);
        out.put("factoryPid", c.getFactoryPid());
        out.put("changed", changed);
        out.put("components", w.states);
        out.put("validated", def != null ? "against the metatype of " + def.bundle()
                : "no metatype declares " + pid + ": values stored as given");
        if (w.note != null) {
            out.put("warning", w.note);
        }
        Object file = next.get(FILEINSTALL);
        out.put("persisted", file == null ? "in Config Admin (the gateway's data folder)"
                : persistToFile(String.valueOf(file), changes, next));
        return out;
    }

    private static Object plain(String field, Object json) throws RequestException {
        if (json instanceof Map) {
            throw RequestException.invalid(field, "{...}", "must be a value or a list of values, not an object");
        }
        if (json instanceof List<?> l) {
            return l.stream().map(String::valueOf).toArray(String[]::new);
        }
        return String.valueOf(json);
    }

    private static boolean sameValue(Object a, Object b) {
        if (a instanceof Object[] x && b instanceof Object[] y) {
            return Arrays.deepEquals(x, y);
        }
        return a != null && b != null && String.valueOf(a).equals(String.valueOf(b));
    }

    private String restore(Configuration c, Dictionary<String, Object> before) {
        try {
            if (before == null) {
                c.delete();
                return "the new configuration was removed again";
            }
            Hashtable<String, Object> back = new Hashtable<>();
            for (Enumeration<String> keys = before.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                if (!k.equals("service.pid") && !k.equals("service.factoryPid")) {
                    back.put(k, before.get(k));
                }
            }
            c.update(back);
            return "the previous configuration was restored";
        } catch (IOException | RuntimeException e) {
            LOG.error("Remote management: cannot restore configuration {}: {}", c.getPid(), e.toString());
            return "restoring the previous configuration failed too: " + e.getMessage();
        }
    }

    // ---- what the components did -------------------------------------------------------------------------------

    private static final class Watch {
        String failure;
        String component;
        String note;
        List<Map<String, Object>> states = new ArrayList<>();
    }

    /**
     * Waits (up to {@code waitMs}) until every component reading {@code configPid} runs with the new values, or one
     * of them failed.
     */
    private Watch watch(String pid, String configPid, Map<String, Object> changes, Map<String, Object> next) {
        Watch w = new Watch();
        ServiceComponentRuntime runtime = scr.get();
        if (runtime == null) {
            w.note = "cannot watch the components: Declarative Services is not running";
            return w;
        }
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        long satisfiedUntil = System.nanoTime() + Math.min(waitMs, SATISFIED_GRACE_MS) * 1_000_000;
        while (true) {
            List<ComponentDescriptionDTO> readers = readers(runtime, configPid);
            if (readers.isEmpty()) {
                w.note = "no component reads " + configPid + " now: the change takes effect when one does";
                return w;
            }
            w.states.clear();
            boolean settled = true;
            for (ComponentDescriptionDTO d : readers) {
                ComponentConfigurationDTO cc = configurationOf(runtime, d, pid);
                if (cc == null || !applied(cc.properties, changes, next)) {
                    settled = false;
                    continue;
                }
                // active or failed is the end; on the way there Felix SCR shows a configuration as SATISFIED (between
                // its re-registration and the use that activates it: the pipeline binds detectors at once) or
                // unsatisfied for a moment, or with a state outside the DTO's constants (-1) while it activates:
                // those count as the end only after a grace
                boolean end = cc.state == ComponentConfigurationDTO.ACTIVE
                        || cc.state == ComponentConfigurationDTO.FAILED_ACTIVATION
                        || settlesAfterGrace(cc.state) && System.nanoTime() >= satisfiedUntil;
                if (!end) {
                    settled = false;
                }
                w.states.add(Json.obj("name", d.name, "bundle", d.bundle.symbolicName, "state", stateName(cc.state)));
                if (cc.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    w.failure = failureLine(cc.failure);
                    w.component = d.name;
                    return w;
                }
            }
            if (settled) {
                return w;
            }
            if (System.nanoTime() > deadline) {
                w.note = "the components reading " + configPid + " had not picked the change up after " + waitMs
                        + " ms";
                return w;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.note = "interrupted while watching the components";
                return w;
            }
        }
    }

    private static List<ComponentDescriptionDTO> readers(ServiceComponentRuntime runtime, String configPid) {
        List<ComponentDescriptionDTO> out = new ArrayList<>();
        for (ComponentDescriptionDTO d : runtime.getComponentDescriptionDTOs()) {
            if (d.configurationPid != null && Arrays.asList(d.configurationPid).contains(configPid)
                    && !"ignore".equals(d.configurationPolicy)) {
                out.add(d);
            }
        }
        return out;
    }

    private static ComponentConfigurationDTO configurationOf(ServiceComponentRuntime runtime,
                                                             ComponentDescriptionDTO d, String pid) {
        for (ComponentConfigurationDTO cc : runtime.getComponentConfigurationDTOs(d)) {
            Object p = cc.properties == null ? null : cc.properties.get("service.pid");
            if (p instanceof String[] a ? Arrays.asList(a).contains(pid) : pid.equals(p)) {
                return cc;
            }
        }
        return null;
    }

    /** The component's properties show every change (removed settings are gone). */
    private static boolean applied(Map<String, Object> props, Map<String, Object> changes, Map<String, Object> next) {
        if (props == null) {
            return false;
        }
        for (String k : changes.keySet()) {
            Object want = next.get(k);
            Object have = props.get(k);
            if (want == null ? have != null : !sameValue(want, have)) {
                return false;
            }
        }
        return true;
    }

    /** States that may be on the way to active: the end only once they last past the grace (never SCR's -1). */
    private static boolean settlesAfterGrace(int state) {
        return state == ComponentConfigurationDTO.SATISFIED
                || state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE
                || state == ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION;
    }

    private static String stateName(int state) {
        return switch (state) {
            case ComponentConfigurationDTO.ACTIVE -> "active";
            case ComponentConfigurationDTO.SATISFIED -> "satisfied";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "unsatisfied reference";
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "unsatisfied configuration";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "failed activation";
            default -> "state " + state;
        };
    }

    /** The message of the innermost cause of a stack trace, without the exception's class name. */
    static String failureLine(String trace) {
        if (trace == null || trace.isBlank()) {
            return "activation failed (no reason given)";
        }
        String line = trace.lines().findFirst().orElse(trace);
        for (String l : (Iterable<String>) trace.lines()::iterator) {
            if (l.startsWith("Caused by: ")) {
                line = l.substring("Caused by: ".length());
            }
        }
        return line.replaceFirst("^[\\w.$]+(Exception|Error): ", "").trim();
    }

    /** Component names and states for every component reading a configuration. */
    private List<Map<String, Object>> components(String pid, String factoryPid) {
        ServiceComponentRuntime runtime = scr.get();
        if (runtime == null) {
            return List.of();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (ComponentDescriptionDTO d : readers(runtime, factoryPid != null ? factoryPid : pid)) {
            ComponentConfigurationDTO cc = configurationOf(runtime, d, pid);
            out.add(Json.obj("name", d.name, "bundle", d.bundle.symbolicName, "state",
                    cc == null ? "no instance" : stateName(cc.state), "failure",
                    cc == null || cc.failure == null ? null : failureLine(cc.failure)));
        }
        return out;
    }

    // ---- the file in deploy/ -----------------------------------------------------------------------------------

    /** Writes the changed keys into the configuration's file (comments and other lines kept). */
    private static String persistToFile(String url, Map<String, Object> changes, Map<String, Object> next) {
        Path file;
        try {
            file = Path.of(URI.create(url));
        } catch (RuntimeException e) {
            return "not persisted: the configuration's file '" + url + "' is not a local file; the change lasts "
                    + "until the gateway restarts";
        }
        try {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file) : new ArrayList<>();
            Map<String, Object> remaining = new LinkedHashMap<>(changes);
            List<String> out = new ArrayList<>();
            for (String line : lines) {
                String trimmed = line.trim();
                int eq = trimmed.indexOf('=');
                String key = eq > 0 && !trimmed.startsWith("#") && !trimmed.startsWith("!")
                        ? trimmed.substring(0, eq).trim() : null;
                if (key != null && remaining.containsKey(key)) {
                    remaining.remove(key);
                    if (next.containsKey(key)) {
                        out.add(key + "=" + escape(next.get(key)));
                    }
                } else {
                    out.add(line);
                }
            }
            remaining.forEach((k, v) -> {
                if (next.containsKey(k)) {
                    out.add(k + "=" + escape(next.get(k)));
                }
            });
            // a hidden temporary file: fileinstall ignores names starting with '.'
            Path tmp = file.resolveSibling("." + file.getFileName() + ".remote-tmp");
            Files.writeString(tmp, String.join("\n", out) + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return "in " + file;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Remote management: cannot write the change into {}: {}", file, e.toString());
            return "not persisted: cannot write " + file + " (" + e.getMessage() + "); the change lasts until the "
                    + "gateway restarts, when fileinstall reads the file again";
        }
    }

    private static String escape(Object v) {
        String s = v instanceof Object[] a ? String.join(",", Arrays.stream(a).map(String::valueOf).toList())
                : String.valueOf(v);
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    // ---- naming ------------------------------------------------------------------------------------------------

    private Target target(Request r) throws RequestException {
        String pid = r.optionalText("pid", "the configuration's PID");
        String factoryPid = r.optionalText("factoryPid", "the factory PID of a factory configuration");
        String name = r.optionalText("name", "the instance name of a factory configuration");
        if (pid != null && factoryPid != null) {
            throw new RequestException("factoryPid", "give either 'pid' or 'factoryPid' with 'name', not both");
        }
        if (factoryPid != null) {
            if (name == null) {
                throw RequestException.missing("name", "a factory configuration is named by factoryPid and name "
                        + "(the part after '-' in its deploy/ file name)");
            }
            return new Target(null, factoryPid, name);
        }
        if (pid == null) {
            throw RequestException.missing("pid", "the configuration's PID (or factoryPid and name)");
        }
        if (name != null) {
            throw new RequestException("name", "'name' goes with 'factoryPid', not with 'pid'");
        }
        return new Target(pid, null, null);
    }

    /** The configuration a target names, or null. */
    private Configuration find(Target t) throws RequestException {
        ConfigurationAdmin admin = admin();
        try {
            if (t.pid != null) {
                Configuration[] exact = admin.listConfigurations("(service.pid=" + escapeFilter(t.pid) + ")");
                if (exact != null && exact.length > 0) {
                    return exact[0];
                }
                int dash = t.pid.indexOf('-');
                return dash > 0 ? findFactory(admin, t.pid.substring(0, dash), t.pid.substring(dash + 1)) : null;
            }
            return findFactory(admin, t.factoryPid, t.name);
        } catch (IOException | InvalidSyntaxException e) {
            throw new RequestException(null, "cannot look configurations up: " + e.getMessage());
        }
    }

    private static Configuration findFactory(ConfigurationAdmin admin, String factoryPid, String name)
            throws IOException, InvalidSyntaxException {
        Configuration[] all = admin.listConfigurations("(service.factoryPid=" + escapeFilter(factoryPid) + ")");
        if (all == null) {
            return null;
        }
        for (Configuration c : all) {
            Dictionary<String, Object> p = c.getProperties();
            Object file = p == null ? null : p.get(FILEINSTALL);
            if (c.getPid().equals(factoryPid + "~" + name)
                    || file != null && String.valueOf(file).endsWith("/" + factoryPid + "-" + name + ".cfg")) {
                return c;
            }
        }
        return null;
    }

    private static String escapeFilter(String v) {
        StringBuilder sb = new StringBuilder();
        for (char ch : v.toCharArray()) {
            if (ch == '\\' || ch == '*' || ch == '(' || ch == ')') {
                sb.append('\\');
            }
            sb.append(ch);
        }
        return sb.toString();
    }
}
