package io.edgegateway.testbed.detect;

import picocli.CommandLine.Option;

/** How to read a CSV's columns: shared by {@code detect} and {@code fit}. */
final class CsvOptions {

    @Option(names = "--time-column", paramLabel = "NAME",
            description = "The time column. Default: the first column named time, timestamp, date or datetime"
                    + " (any case), else the first column.")
    String timeColumn;

    @Option(names = "--separator", paramLabel = "CHAR",
            description = "The field separator. Default: detected from the header (',', ';', tab or '|').")
    Character separator;
}
