package io.edgegateway.connector.opcua.internal;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.encoding.EncodingContext;
import org.eclipse.milo.opcua.stack.core.types.builtin.ExtensionObject;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.QualifiedName;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.structured.ContentFilter;
import org.eclipse.milo.opcua.stack.core.types.structured.EventFilter;
import org.eclipse.milo.opcua.stack.core.types.structured.ModelChangeStructureDataType;
import org.eclipse.milo.opcua.stack.core.types.structured.SimpleAttributeOperand;

/**
 * The address-space change events the source listens for: an event monitored item on the Server object (its
 * EventNotifier attribute) selecting each event's {@code EventType} and, for {@code GeneralModelChangeEventType},
 * its {@code Changes}. Any {@code BaseModelChangeEventType} or {@code GeneralModelChangeEventType} event triggers a
 * re-browse; other events of the Server object (audit, system, alarms) are ignored here.
 *
 * <p>No where clause: filter support differs between servers (Part 4 lets a server refuse one), and a refused
 * filter would cost the notifications altogether; the type is checked here instead, which costs a comparison per
 * event of the Server object.
 */
final class ModelChanges {

    private ModelChanges() {
    }

    /** The node whose events are monitored. */
    static NodeId notifier() {
        return NodeIds.Server;
    }

    /** Select clauses: [0] EventType, [1] Changes (null for event types that have none). */
    static EventFilter filter() {
        return new EventFilter(new SimpleAttributeOperand[] {
                field(NodeIds.BaseEventType, "EventType"),
                field(NodeIds.GeneralModelChangeEventType, "Changes")},
                new ContentFilter(null));
    }

    private static SimpleAttributeOperand field(NodeId type, String name) {
        return new SimpleAttributeOperand(type, new QualifiedName[] {new QualifiedName(0, name)},
                AttributeId.Value.uid(), null);
    }

    /** Whether the fields (in the order of {@link #filter()}) are those of a model change event. */
    static boolean isModelChange(Variant[] fields) {
        if (fields == null || fields.length == 0 || fields[0] == null) {
            return false;
        }
        Object type = fields[0].getValue();
        return NodeIds.GeneralModelChangeEventType.equals(type) || NodeIds.BaseModelChangeEventType.equals(type);
    }

    /**
     * The changes an event reports, e.g. {@code [ns=2;s=Plant/pump-4 NodeAdded|ReferenceAdded]}; empty when it has
     * none (BaseModelChangeEventType) or they cannot be decoded.
     */
    static List<String> describe(Variant[] fields, EncodingContext context) {
        List<String> out = new ArrayList<>();
        if (fields == null || fields.length < 2 || fields[1] == null || !(fields[1].getValue() instanceof Object[] a)) {
            return out;
        }
        for (Object o : a) {
            try {
                Object v = o instanceof ExtensionObject xo ? xo.decode(context) : o;
                if (v instanceof ModelChangeStructureDataType c) {
                    out.add((c.getAffected() == null ? "?" : c.getAffected().toParseableString()) + " "
                            + verbs(c.getVerb() == null ? 0 : c.getVerb().intValue()));
                }
            } catch (RuntimeException e) {
                // an undecodable entry: the re-browse finds out anyway
            }
        }
        return out;
    }

    /** The verb mask of a change in words (Part 3, ModelChangeStructureVerbMask): {@code NodeAdded|ReferenceAdded} for 5. */
    static String verbs(int mask) {
        List<String> names = new ArrayList<>();
        String[] all = {"NodeAdded", "NodeDeleted", "ReferenceAdded", "ReferenceDeleted", "DataTypeChanged"};
        for (int i = 0; i < all.length; i++) {
            if ((mask & (1 << i)) != 0) {
                names.add(all[i]);
            }
        }
        return names.isEmpty() ? "verb " + mask : String.join("|", names);
    }
}
