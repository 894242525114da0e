package io.edgegateway.rules.health.internal.model;

/**
 * The manifest contract of a fitted health-model bundle (a resource-only bundle made by {@code ./gateway fit}): the
 * frozen model of one asset type as {@link HealthModelJson}, installed through {@code deploy/} or remote management
 * like any bundle, signed like any bundle.
 */
public final class ModelBundle {

    /** Manifest header: path of the model file inside the bundle, e.g. {@code health/model.json}. */
    public static final String HEADER = "Gateway-Health-Model";
    /** Manifest header: the asset type the model is for, e.g. {@code pump}. */
    public static final String ASSET_TYPE = "Gateway-Health-Model-Asset-Type";
    /** Where {@code fit} puts the model inside the bundle. */
    public static final String MODEL_PATH = "health/model.json";
    /** Where {@code fit} puts its validation report inside the bundle. */
    public static final String REPORT_PATH = "health/report.json";

    private ModelBundle() {
    }

    /** Symbolic name of the model bundle of an asset type. */
    public static String symbolicName(String assetType) {
        return "io.edgegateway.health-model." + assetType;
    }
}
