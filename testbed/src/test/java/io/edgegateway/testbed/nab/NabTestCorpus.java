package io.edgegateway.testbed.nab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The NAB corpus of the shared folder ({@code -Dnab.dir}, set by the testbed's pom), each detector read once. */
final class NabTestCorpus {

    private static final Map<String, Scorer> SCORERS = new ConcurrentHashMap<>();
    private static volatile Labels labels;

    private NabTestCorpus() {
    }

    static Path dir() {
        String property = System.getProperty("nab.dir");
        if (property == null) {
            throw new IllegalStateException("system property nab.dir (the NAB folder: data/, labels/, config/,"
                    + " results/) is not set; the testbed pom sets it for surefire");
        }
        Path dir = Path.of(property).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir.resolve("results"))) {
            throw new IllegalStateException("nab.dir " + dir + " is not the NAB folder (no results/)");
        }
        return dir;
    }

    static Path labelsFile() {
        return dir().resolve("labels/combined_windows.json");
    }

    static Labels labels() {
        if (labels == null) {
            labels = Labels.read(labelsFile());
        }
        return labels;
    }

    static Map<String, Profile> profiles() {
        return NabFiles.readProfiles(dir().resolve("config/profiles.json"));
    }

    static Scorer scorer(String detector) {
        return SCORERS.computeIfAbsent(detector, d -> {
            List<SeriesFile> results = NabFiles.readResults(dir().resolve("results").resolve(d), d, labels(),
                    dir().resolve("data"));
            return new Scorer(labels(), results);
        });
    }
}
