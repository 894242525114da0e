package io.edgegateway.runtime.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class FleetTest {

    private static final Map<String, Map<String, Object>> DISCOVERED = new TreeMap<>(Map.of(
            "line-1", Map.of("state", "online"), "line-2", Map.of("state", "online"),
            "line-3", Map.of("state", "offline", "reason", "connection lost"), "lab-1", Map.of("state", "online")));

    @Test
    void globsPickOnlineGatewaysAndReportOfflineOnes() {
        List<Fleet.Result> offline = new ArrayList<>();
        assertThat(Fleet.resolve(List.of("line-*"), DISCOVERED, offline)).containsExactly("line-1", "line-2");
        assertThat(offline).extracting(Fleet.Result::gatewayId, Fleet.Result::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("line-3", "unreachable"));
        assertThat(offline.get(0).message()).contains("connection lost");
        assertThat(Fleet.resolve(List.of("lab-1", "*"), DISCOVERED, new ArrayList<>()))
                .containsExactly("lab-1", "line-1", "line-2");
        assertThat(Fleet.needsDiscovery(List.of("a", "b"))).isFalse();
    }

    @Test
    void rollingStopsAtTheFirstFailureAndTheSummaryCountsEachOutcome() throws Exception {
        List<Fleet.Result> r = Fleet.run(List.of("a", "b", "c"), 1, true, gw -> {
            if (gw.equals("b")) {
                throw new RemoteSession.RemoteFailure("rolled back: unhealthy", Map.of("result",
                        Map.of("outcome", "ROLLED_BACK")), false);
            }
            return Map.of("verb", "rollback", "result", Map.of("operation", "rollback", "symbolicName", "x",
                    "outcome", "COMMITTED"));
        });
        assertThat(r).extracting(Fleet.Result::outcome).containsExactly("ok", "rolled back", "skipped");
        assertThat(Fleet.summary(r, 300, 12.34)).isEqualTo("3 gateways: 1 ok, 1 rolled back, 0 failed, 0 unreachable "
                + "(no answer within 300 s), 1 skipped; took 12.3 s");
        List<Fleet.Result> parallel = Fleet.run(List.of("a", "b", "c"), 3, false, gw -> {
            throw new RemoteSession.RemoteFailure("no answer from " + gw, null, true);
        });
        assertThat(parallel).extracting(Fleet.Result::outcome).containsOnly("unreachable");
    }
}
