package io.edgegateway.management.internal.remote;

import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The settings a configuration may have, read from the metatype XML that bnd generates into each bundle
 * ({@code OSGI-INF/metatype/*.xml}, from the components' {@code @ObjectClassDefinition}); no metatype service is
 * needed. Used to check a {@code config-set} before it reaches the component.
 */
final class Metatypes {

    private static final Logger LOG = LoggerFactory.getLogger(Metatypes.class);

    /** One setting: its type (String, Integer, Long, Double, Boolean, Password ...), options, required. */
    record Setting(String id, String type, int cardinality, boolean required, List<String> options) {

        /**
         * The value as it will be stored (text, or a text array for a multi-valued setting), or an exception that
         * says why it does not fit.
         */
        Object check(String field, Object json) throws RequestException {
            if (json instanceof List<?> list) {
                if (cardinality == 0) {
                    throw RequestException.invalid(field, io.edgegateway.management.protocol.Json.write(list),
                            "must be a single " + type + ", not a list");
                }
                String[] out = new String[list.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = checkOne(field + "[" + i + "]", list.get(i));
                }
                return out;
            }
            return checkOne(field, json);
        }

        private String checkOne(String field, Object json) throws RequestException {
            if (json instanceof Map) {
                throw RequestException.invalid(field, "{...}", "must be a " + type + " value, not an object");
            }
            String text = String.valueOf(json).trim();
            switch (type) {
                case "Integer", "Long", "Short", "Byte" -> {
                    long v;
                    try {
                        v = Long.parseLong(text);
                    } catch (NumberFormatException e) {
                        throw RequestException.invalid(field, json, "is not a whole number (" + type + ")");
                    }
                    long min = switch (type) {
                        case "Integer" -> Integer.MIN_VALUE;
                        case "Short" -> Short.MIN_VALUE;
                        case "Byte" -> Byte.MIN_VALUE;
                        default -> Long.MIN_VALUE;
                    };
                    long max = switch (type) {
                        case "Integer" -> Integer.MAX_VALUE;
                        case "Short" -> Short.MAX_VALUE;
                        case "Byte" -> Byte.MAX_VALUE;
                        default -> Long.MAX_VALUE;
                    };
                    if (v < min || v > max) {
                        throw RequestException.invalid(field, json, "is out of range for " + type);
                    }
                }
                case "Double", "Float" -> {
                    try {
                        double d = Double.parseDouble(text);
                        if (!Double.isFinite(d)) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        throw RequestException.invalid(field, json, "is not a finite number (" + type + ")");
                    }
                }
                case "Boolean" -> {
                    if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
                        throw RequestException.invalid(field, json, "must be true or false");
                    }
                    text = text.toLowerCase(Locale.ROOT);
                }
                case "Char", "Character" -> {
                    if (text.length() != 1) {
                        throw RequestException.invalid(field, json, "must be a single character");
                    }
                }
                default -> {
                    // String, Password: any text
                }
            }
            if (!options.isEmpty() && !options.contains(text)) {
                throw RequestException.invalid(field, json, "is not one of " + String.join(", ", options));
            }
            return text;
        }
    }

    /** The settings of one configuration PID (or factory PID), with the bundle that declares them. */
    record Definition(String pid, boolean factory, String bundle, Map<String, Setting> settings) {
    }

    private final BundleContext context;

    Metatypes(BundleContext context) {
        this.context = context;
    }

    /** The definition for a PID or factory PID, or null when no bundle declares one. */
    Definition find(String pid, String factoryPid) {
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            Enumeration<URL> entries = b.findEntries("OSGI-INF/metatype", "*.xml", false);
            if (entries == null) {
                continue;
            }
            while (entries.hasMoreElements()) {
                URL url = entries.nextElement();
                try {
                    Definition d = read(url, b.getSymbolicName(), pid, factoryPid);
                    if (d != null) {
                        return d;
                    }
                } catch (Exception e) {
                    LOG.debug("Remote management: unreadable metatype {} in {}: {}", url, b.getSymbolicName(),
                            e.toString());
                }
            }
        }
        return null;
    }

    private static Definition read(URL url, String bundle, String pid, String factoryPid) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        DocumentBuilder db = f.newDocumentBuilder();
        Document doc;
        try (InputStream in = url.openStream()) {
            doc = db.parse(in);
        }
        NodeList designates = doc.getElementsByTagNameNS("*", "Designate");
        for (int i = 0; i < designates.getLength(); i++) {
            Element d = (Element) designates.item(i);
            String dPid = d.getAttribute("pid");
            String dFactory = d.getAttribute("factoryPid");
            boolean factory = !dFactory.isEmpty();
            String declared = factory ? dFactory : dPid;
            boolean match = factoryPid != null ? factoryPid.equals(declared) : pid.equals(declared);
            if (!match) {
                continue;
            }
            NodeList objects = d.getElementsByTagNameNS("*", "Object");
            if (objects.getLength() == 0) {
                continue;
            }
            String ocdRef = ((Element) objects.item(0)).getAttribute("ocdref");
            NodeList ocds = doc.getElementsByTagNameNS("*", "OCD");
            for (int j = 0; j < ocds.getLength(); j++) {
                Element ocd = (Element) ocds.item(j);
                if (ocd.getAttribute("id").equals(ocdRef)) {
                    return new Definition(declared, factory, bundle, settings(ocd));
                }
            }
        }
        return null;
    }

    private static Map<String, Setting> settings(Element ocd) {
        Map<String, Setting> out = new LinkedHashMap<>();
        NodeList ads = ocd.getElementsByTagNameNS("*", "AD");
        for (int i = 0; i < ads.getLength(); i++) {
            Element ad = (Element) ads.item(i);
            List<String> options = new ArrayList<>();
            NodeList opts = ad.getElementsByTagNameNS("*", "Option");
            for (int j = 0; j < opts.getLength(); j++) {
                options.add(((Element) opts.item(j)).getAttribute("value"));
            }
            String card = ad.getAttribute("cardinality");
            String type = ad.getAttribute("type");
            out.put(ad.getAttribute("id"), new Setting(ad.getAttribute("id"), type.isEmpty() ? "String" : type,
                    card.isEmpty() ? 0 : Integer.parseInt(card), !"false".equals(ad.getAttribute("required"))
                    && ad.getAttribute("default").isEmpty(), List.copyOf(options)));
        }
        return out;
    }
}
