package io.edgegateway.connector.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class BatchesTest {

    @Test
    void thousandNodesInPiecesOfTheServersLimitInOrder() {
        List<Integer> nodes = IntStream.range(0, 1000).boxed().toList();
        List<List<Integer>> batches = Batches.of(nodes, 250);
        assertThat(batches).hasSize(4).allSatisfy(b -> assertThat(b).hasSize(250));
        assertThat(batches.stream().flatMap(List::stream).toList()).isEqualTo(nodes);
        assertThat(Batches.of(nodes, 300)).extracting(List::size).containsExactly(300, 300, 300, 100);
        assertThat(Batches.of(List.of(), 10)).isEmpty();
        assertThatThrownBy(() -> Batches.of(nodes, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void limitFallsBackWhenTheServerHasNoneOrDoesNotSay() {
        assertThat(Batches.limit(Optional.of(uint(100)))).isEqualTo(100);
        assertThat(Batches.limit(Optional.of(uint(0)))).isEqualTo(Batches.DEFAULT);
        assertThat(Batches.limit(Optional.empty())).isEqualTo(Batches.DEFAULT);
        assertThat(Batches.limit(null)).isEqualTo(Batches.DEFAULT);
    }
}
