package dev.argus.model;

import java.util.Map;

/** Great-circle distance on a spherical Earth (haversine), good to about 0.5%. */
public final class Geo {
    public static final double EARTH_RADIUS_KM = 6371.0088;

    private Geo() {}

    /**
     * The distance between two locations given as maps of {@code latitude} and {@code longitude}.
     */
    public static double distanceKm(Map<?, ?> a, Map<?, ?> b) {
        return distanceKm(
                (Double) a.get("latitude"),
                (Double) a.get("longitude"),
                (Double) b.get("latitude"),
                (Double) b.get("longitude"));
    }

    public static double distanceKm(Location a, Location b) {
        return distanceKm(a.getLatitude(), a.getLongitude(), b.getLatitude(), b.getLongitude());
    }

    /**
     * The speed in km/h to cover {@code km} in {@code millis}; 0 for no distance, infinite for a
     * distance in no time.
     */
    public static double speedKmh(double km, long millis) {
        double hours = Math.abs(millis) / 3_600_000.0;
        if (hours == 0) {
            return km == 0 ? 0.0 : Double.POSITIVE_INFINITY;
        }
        return km / hours;
    }

    public static double distanceKm(double lat1, double lon1, double lat2, double lon2) {
        double dLat = Math.toRadians(lat2 - lat1);
        double dLon = Math.toRadians(lon2 - lon1);
        double h =
                Math.sin(dLat / 2) * Math.sin(dLat / 2)
                        + Math.cos(Math.toRadians(lat1))
                                * Math.cos(Math.toRadians(lat2))
                                * Math.sin(dLon / 2)
                                * Math.sin(dLon / 2);
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
    }
}
