package io.edgegateway.connector.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ubyte;

import java.util.Map;

import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.encoding.DefaultEncodingContext;
import org.eclipse.milo.opcua.stack.core.types.builtin.ExtensionObject;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.structured.ModelChangeStructureDataType;
import org.junit.jupiter.api.Test;

class ModelChangesTest {

    @Test
    void theFilterSelectsTheEventTypeAndTheChanges() {
        var select = ModelChanges.filter().getSelectClauses();
        assertThat(select).hasSize(2);
        assertThat(select[0].getTypeDefinitionId()).isEqualTo(NodeIds.BaseEventType);
        assertThat(select[0].getBrowsePath()[0].getName()).isEqualTo("EventType");
        assertThat(select[1].getTypeDefinitionId()).isEqualTo(NodeIds.GeneralModelChangeEventType);
        assertThat(select[1].getBrowsePath()[0].getName()).isEqualTo("Changes");
        assertThat(ModelChanges.notifier()).isEqualTo(NodeIds.Server);
    }

    @Test
    void onlyModelChangeEventsCountAndTheirChangesAreDescribed() {
        var context = DefaultEncodingContext.INSTANCE;
        NodeId asset = new NodeId(2, "Plant/pump-4");
        ExtensionObject change = ExtensionObject.encode(context,
                new ModelChangeStructureDataType(asset, NodeIds.FolderType, ubyte(1 | 4)));
        Variant[] general = {new Variant(NodeIds.GeneralModelChangeEventType),
                new Variant(new ExtensionObject[] {change})};
        assertThat(ModelChanges.isModelChange(general)).isTrue();
        assertThat(ModelChanges.describe(general, context)).containsExactly("ns=2;s=Plant/pump-4 "
                + "NodeAdded|ReferenceAdded");

        Variant[] base = {new Variant(NodeIds.BaseModelChangeEventType), Variant.NULL_VALUE};
        assertThat(ModelChanges.isModelChange(base)).isTrue();
        assertThat(ModelChanges.describe(base, context)).isEmpty();

        assertThat(ModelChanges.isModelChange(new Variant[] {new Variant(NodeIds.AuditEventType),
                Variant.NULL_VALUE})).as("an audit event of the Server object").isFalse();
        assertThat(ModelChanges.isModelChange(new Variant[0])).isFalse();
        assertThat(ModelChanges.isModelChange(null)).isFalse();
        assertThat(ModelChanges.verbs(2 | 8)).isEqualTo("NodeDeleted|ReferenceDeleted");
        assertThat(ModelChanges.verbs(0)).isEqualTo("verb 0");
    }

    @Test
    void theRebrowseSettingsAreValidated() {
        OpcUaTelemetrySource.Settings defaults = OpcUaTelemetrySource.validate(SecurityTest.config(Map.of()));
        assertThat(defaults.rebrowseIntervalS()).isEqualTo(300);
        assertThat(defaults.rebrowseOnModelChange()).isTrue();
        assertThat(OpcUaTelemetrySource.validate(SecurityTest.config(Map.of("rebrowse_interval_s", 0L)))
                .rebrowseIntervalS()).isZero();
        assertThatThrownBy(() -> OpcUaTelemetrySource.validate(SecurityTest.config(Map.of("rebrowse_interval_s",
                -1L)))).hasMessageContaining("rebrowse.interval.s must be >= 0");
    }
}
