package io.edgegateway.testbed.opcua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.simulator.PlantSimulator;

/** {@code opcua-server --changes} and the standard-input commands that change the address space. */
class OpcUaServerCommandTest {

    @Test
    void changesParseAndBadSpecsSayWhy() {
        assertThat(OpcUaServerCommand.parseChanges("add:pump-2@30, remove:motor-1@60.5")).containsExactly(
                new OpcUaServerCommand.Change(true, "pump-2", 30), new OpcUaServerCommand.Change(false, "motor-1", 60.5));
        assertThat(OpcUaServerCommand.parseChanges(null)).isEmpty();
        assertThatThrownBy(() -> OpcUaServerCommand.parseChanges("pump-2@30")).hasMessageContaining("add:ASSET@SECONDS");
        assertThatThrownBy(() -> OpcUaServerCommand.parseChanges("move:pump-2@30")).hasMessageContaining("not add or remove");
        assertThatThrownBy(() -> OpcUaServerCommand.parseChanges("add:pump-2@soon")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> OpcUaServerCommand.parseChanges("add:pump-2@-1")).hasMessageContaining(">= 0");
    }

    @Test
    void standardInputCommandsChangeTheServedAssets() throws Exception {
        PlantSimulator sim = new PlantSimulator(42, 10, List.of(), List.of("pump-1"));
        try (PlantOpcUaServer server = new PlantOpcUaServer(Ports.freePort(), "localhost", null, null, sim).start()) {
            assertThat(OpcUaServerCommand.command(server, "add pump-2")).startsWith("asset pump-2 added (");
            assertThat(OpcUaServerCommand.command(server, "assets")).startsWith("assets: [pump-1, pump-2]");
            assertThat(OpcUaServerCommand.command(server, "remove pump-1")).contains("model change events sent so far: 2");
            assertThat(OpcUaServerCommand.command(server, "remove pump-1")).isEqualTo("remove pump-1: asset 'pump-1' "
                    + "is not served (assets: [pump-2])");
            assertThat(OpcUaServerCommand.command(server, "fly away")).startsWith("unknown command 'fly away'");
            assertThat(server.servedAssets()).containsExactly("pump-2");
        }
    }
}
