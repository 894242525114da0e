package io.edgegateway.connector.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.junit.jupiter.api.Test;

import io.edgegateway.api.Quality;

class NodeSpecTest {

    @Test
    void nodeIdsAndPatterns() {
        NodeSpec id = NodeSpec.parse(" ns=2;s=Plant/pump-1/flow ");
        assertThat(id.isPattern()).isFalse();
        assertThat(id.nodeId()).isEqualTo(new NodeId(2, "Plant/pump-1/flow"));
        assertThat(NodeSpec.parse("i=2258").nodeId()).isEqualTo(new NodeId(0, 2258));

        NodeSpec p = NodeSpec.parse("Objects/Plant/*/*");
        assertThat(p.isPattern()).isTrue();
        assertThat(p.path()).isEqualTo(List.of("Plant", "*", "*"));
        assertThat(NodeSpec.matches("*", "pump-1")).isTrue();
        assertThat(NodeSpec.matches("flow", "flow")).isTrue();
        assertThat(NodeSpec.matches("flow", "current")).isFalse();
    }

    @Test
    void badEntriesSayWhatIsWrong() {
        assertThatThrownBy(() -> NodeSpec.parse("ns=x;q=1")).hasMessageContaining("not a valid NodeId");
        assertThatThrownBy(() -> NodeSpec.parse("Objects//x")).hasMessageContaining("empty level");
        assertThatThrownBy(() -> NodeSpec.parse("Objects")).hasMessageContaining("selects no variables");
    }

    @Test
    void statusCodesMapToQuality() {
        assertThat(Qualities.of(StatusCode.GOOD)).isEqualTo(Quality.GOOD);
        assertThat(Qualities.of(new StatusCode(StatusCodes.Uncertain_LastUsableValue))).isEqualTo(Quality.UNCERTAIN);
        assertThat(Qualities.of(new StatusCode(StatusCodes.Bad_CommunicationError))).isEqualTo(Quality.BAD);
    }
}
