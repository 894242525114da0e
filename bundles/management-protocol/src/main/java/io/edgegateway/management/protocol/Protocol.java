package io.edgegateway.management.protocol;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The remote management protocol's topics, verbs and field names (README "Remote management").
 *
 * <ul>
 *   <li>request: {@code gateway/<gatewayId>/cmd/<verb>}, a JSON object with {@link #REQUEST_ID} and the verb's fields
 *   <li>response: {@code gateway/<gatewayId>/cmd/<verb>/response}, QoS 1: {@code requestId, verb, gatewayId, ok,
 *       final} and {@code result} or {@code error {field, message}}; long operations answer {@code final:false}
 *       ({@code state:"running"}) first, then {@code final:true} when they end
 *   <li>chunk of an upload: {@code gateway/<gatewayId>/cmd/chunk/<transferId>/<index>/<crc32 hex>}, the raw bytes;
 *       problems are answered on {@code gateway/<gatewayId>/cmd/chunk/response}
 * </ul>
 * A request repeated with the same request id is not carried out twice: the gateway answers it again (the stored
 * response, or "running").
 */
public final class Protocol {

    private Protocol() {
    }

    public static final String STATUS = "status";
    public static final String UPLOAD = "upload";
    public static final String INSTALL = "install";
    public static final String UPDATE = "update";
    public static final String UNINSTALL = "uninstall";
    public static final String ROLLBACK = "rollback";
    public static final String RESTART = "restart";
    public static final String CONFIG_GET = "config-get";
    public static final String CONFIG_SET = "config-set";
    /** Not a request: the topic level of upload chunks. */
    public static final String CHUNK = "chunk";

    /** Every verb the gateway answers, in the order the README documents them. */
    public static final List<String> VERBS = List.of(STATUS, CONFIG_GET, CONFIG_SET, UPLOAD, INSTALL, UPDATE,
            UNINSTALL, RESTART, ROLLBACK);

    public static final String REQUEST_ID = "requestId";
    public static final String RESPONSE = "response";

    /** Default chunk size of uploads: fits any broker's default message limit with room to spare. */
    public static final int DEFAULT_CHUNK_BYTES = 64 * 1024;

    /** Request ids and transfer ids end up in file names and topics: letters, digits and {@code . _ : -} only. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public static boolean validId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    public static boolean validSha256(String hex) {
        return hex != null && SHA256.matcher(hex).matches();
    }

    public static String base(String gatewayId) {
        return "gateway/" + gatewayId + "/cmd/";
    }

    public static String requestTopic(String gatewayId, String verb) {
        return base(gatewayId) + verb;
    }

    public static String responseTopic(String gatewayId, String verb) {
        return base(gatewayId) + verb + "/" + RESPONSE;
    }

    public static String chunkTopic(String gatewayId, String transferId, int index, String crc32Hex) {
        return base(gatewayId) + CHUNK + "/" + transferId + "/" + index + "/" + crc32Hex;
    }

    /** What the gateway subscribes to: requests (one level) and chunks (three more); never its own responses. */
    public static String[] gatewayFilters(String gatewayId) {
        return new String[] {base(gatewayId) + "+", base(gatewayId) + CHUNK + "/+/+/+"};
    }

    /** The retained status topic of every gateway (MqttUplink): how the CLI finds a fleet. */
    public static final String STATUS_FILTER = "gateway/+/status";

    /** The gateway id of a {@code gateway/<id>/status} topic, or null. */
    public static String gatewayOfStatusTopic(String topic) {
        if (!topic.startsWith("gateway/") || !topic.endsWith("/status")) {
            return null;
        }
        String id = topic.substring("gateway/".length(), topic.length() - "/status".length());
        return id.isEmpty() || id.contains("/") ? null : id;
    }
}
