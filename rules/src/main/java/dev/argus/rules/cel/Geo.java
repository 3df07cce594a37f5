package dev.argus.rules.cel;

import java.util.Map;

/** Great-circle distance on a spherical Earth (haversine), good to about 0.5%. */
final class Geo {
    static final double EARTH_RADIUS_KM = 6371.0088;

    private Geo() {}

    static double distanceKm(Map<?, ?> a, Map<?, ?> b) {
        return distanceKm(
                (Double) a.get("latitude"),
                (Double) a.get("longitude"),
                (Double) b.get("latitude"),
                (Double) b.get("longitude"));
    }

    static double distanceKm(double lat1, double lon1, double lat2, double lon2) {
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
