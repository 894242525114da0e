package io.edgegateway.rules.health.internal.model;

/**
 * An alarm that is raised, held and cleared (ISA-18.2 style), fed one health index per tick: raised when
 * {@code raiseCount} of the last {@code raiseWindow} ticks are over the limit (index above 1), held while the asset
 * stays abnormal, cleared after {@code clearTicks} consecutive ticks with the index below {@code clearBelow}
 * (hysteresis: at most 1). A lone noisy tick neither raises nor clears it. Not thread-safe.
 */
public final class AlarmState {

    /** What a tick changed. */
    public enum Transition { NONE, RAISED, CLEARED }

    private final int raiseCount;
    private final int raiseWindow;
    private final int clearTicks;
    private final double clearBelow;
    /** Bit i: tick i back was over the limit. */
    private long recent;
    private int belowRun;
    private boolean active;
    private long ticks;
    private long activeSince;

    public AlarmState(int raiseCount, int raiseWindow, int clearTicks, double clearBelow) {
        if (raiseWindow < 1 || raiseWindow > 63) {
            throw new IllegalArgumentException("setting 'raise.window' = " + raiseWindow + " must be in 1..63");
        }
        if (raiseCount < 1 || raiseCount > raiseWindow) {
            throw new IllegalArgumentException("setting 'raise.count' = " + raiseCount + " must be in 1..raise.window ("
                    + raiseWindow + ")");
        }
        if (clearTicks < 1) {
            throw new IllegalArgumentException("setting 'clear.ticks' = " + clearTicks + " must be >= 1");
        }
        if (!(clearBelow > 0 && clearBelow <= 1)) {
            throw new IllegalArgumentException("setting 'clear.below' = " + clearBelow + " must be in (0, 1]");
        }
        this.raiseCount = raiseCount;
        this.raiseWindow = raiseWindow;
        this.clearTicks = clearTicks;
        this.clearBelow = clearBelow;
    }

    /** The gateway's defaults: raise on 2 of 3 ticks over, clear after 2 ticks under the limit. */
    public static AlarmState defaults() {
        return new AlarmState(2, 3, 2, 1.0);
    }

    public Transition update(double index) {
        ticks++;
        boolean over = index > 1;
        recent = ((recent << 1) | (over ? 1 : 0)) & ((1L << raiseWindow) - 1);
        if (!active) {
            if (Long.bitCount(recent) >= raiseCount) {
                active = true;
                activeSince = ticks;
                belowRun = 0;
                return Transition.RAISED;
            }
            return Transition.NONE;
        }
        belowRun = index < clearBelow ? belowRun + 1 : 0;
        if (belowRun >= clearTicks) {
            active = false;
            recent = 0;
            return Transition.CLEARED;
        }
        return Transition.NONE;
    }

    public boolean active() {
        return active;
    }

    /** Ticks since the alarm was raised, the raising tick counted; 0 when not active. */
    public long activeTicks() {
        return active ? ticks - activeSince + 1 : 0;
    }
}
