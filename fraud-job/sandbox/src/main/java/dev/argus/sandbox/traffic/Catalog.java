package dev.argus.sandbox.traffic;

import java.util.List;

/**
 * The places and merchant categories the traffic is made of. Home cities are in the euro area and
 * every amount is in euro; trips go abroad, in and out of it. Coordinates are city centres (WGS
 * 84); a merchant sits within a few kilometres of its city's centre.
 */
final class Catalog {
    private Catalog() {}

    /** A city: where accounts live, travel to, and where merchants are. */
    record City(String name, String country, double latitude, double longitude, int utcOffset) {}

    /** Home cities, each as likely. */
    static final List<City> HOMES =
            List.of(
                    new City("Berlin", "DE", 52.520, 13.405, 1),
                    new City("Hamburg", "DE", 53.551, 9.994, 1),
                    new City("Munich", "DE", 48.137, 11.575, 1),
                    new City("Cologne", "DE", 50.938, 6.960, 1),
                    new City("Frankfurt", "DE", 50.110, 8.682, 1),
                    new City("Paris", "FR", 48.857, 2.352, 1),
                    new City("Lyon", "FR", 45.764, 4.836, 1),
                    new City("Marseille", "FR", 43.296, 5.370, 1),
                    new City("Toulouse", "FR", 43.605, 1.444, 1),
                    new City("Madrid", "ES", 40.417, -3.704, 1),
                    new City("Barcelona", "ES", 41.387, 2.170, 1),
                    new City("Valencia", "ES", 39.470, -0.376, 1),
                    new City("Rome", "IT", 41.903, 12.496, 1),
                    new City("Milan", "IT", 45.464, 9.190, 1),
                    new City("Naples", "IT", 40.852, 14.268, 1),
                    new City("Amsterdam", "NL", 52.370, 4.895, 1),
                    new City("Rotterdam", "NL", 51.924, 4.478, 1),
                    new City("Brussels", "BE", 50.850, 4.352, 1),
                    new City("Vienna", "AT", 48.208, 16.373, 1),
                    new City("Lisbon", "PT", 38.722, -9.139, 0),
                    new City("Dublin", "IE", 53.350, -6.260, 0),
                    new City("Helsinki", "FI", 60.170, 24.938, 2),
                    new City("Athens", "GR", 37.984, 23.728, 2));

    /** Where people travel to: the home cities and these. */
    static final List<City> DESTINATIONS =
            List.of(
                    new City("London", "GB", 51.507, -0.128, 0),
                    new City("Edinburgh", "GB", 55.953, -3.188, 0),
                    new City("New York", "US", 40.713, -74.006, -5),
                    new City("Zurich", "CH", 47.377, 8.540, 1),
                    new City("Prague", "CZ", 50.076, 14.438, 1),
                    new City("Copenhagen", "DK", 55.676, 12.568, 1),
                    new City("Stockholm", "SE", 59.329, 18.069, 1),
                    new City("Warsaw", "PL", 52.230, 21.011, 1),
                    new City("Istanbul", "TR", 41.008, 28.978, 3),
                    new City("Dubai", "AE", 25.205, 55.271, 4),
                    new City("Marrakesh", "MA", 31.629, -7.981, 1),
                    new City("Bangkok", "TH", 13.756, 100.502, 7));

    /**
     * Where fraudsters operate from in the takeover cases: countries a customer of a euro-area bank
     * is rarely seen in, none of them on the pack's list of high-risk countries.
     */
    static final List<City> FRAUD_ORIGINS =
            List.of(
                    new City("Lagos", "NG", 6.524, 3.379, 1),
                    new City("Bucharest", "RO", 44.427, 26.103, 2),
                    new City("Kyiv", "UA", 50.450, 30.523, 2),
                    new City("Sao Paulo", "BR", -23.551, -46.633, -3),
                    new City("Hanoi", "VN", 21.028, 105.834, 7),
                    new City("Jakarta", "ID", -6.208, 106.846, 7));

    /**
     * A merchant category: its ISO 18245 code, a name, the median and spread (log-normal sigma) of
     * its payments in euro cents, and the share paid with the card present.
     */
    record Category(String mcc, String name, long medianMinor, double sigma, double present) {}

    static final Category GROCERY = new Category("5411", "Supermarket", 3_200, 0.7, 0.97);
    static final Category RESTAURANT = new Category("5812", "Restaurant", 3_800, 0.6, 0.97);
    static final Category FAST_FOOD = new Category("5814", "Cafe", 750, 0.5, 0.95);
    static final Category FUEL = new Category("5541", "Fuel Station", 5_500, 0.4, 0.99);
    static final Category TRANSIT = new Category("4111", "City Transit", 300, 0.4, 0.75);
    static final Category PHARMACY = new Category("5912", "Pharmacy", 1_800, 0.7, 0.95);
    static final Category DEPARTMENT = new Category("5311", "Department Store", 5_500, 0.9, 0.85);
    static final Category CLOTHING = new Category("5651", "Clothing", 5_000, 0.7, 0.6);
    static final Category ELECTRONICS = new Category("5732", "Electronics", 11_000, 1.0, 0.5);
    static final Category HOME = new Category("5200", "Home Supply", 7_500, 1.0, 0.9);
    static final Category ONLINE = new Category("5999", "Online Marketplace", 3_500, 0.9, 0.0);
    static final Category DIGITAL = new Category("5816", "Digital Goods", 999, 0.8, 0.0);
    static final Category STREAMING = new Category("4899", "Streaming Service", 1_199, 0.3, 0.0);
    static final Category TELECOM = new Category("4814", "Mobile Operator", 2_500, 0.4, 0.0);
    static final Category HOTEL = new Category("7011", "Hotel", 14_000, 0.6, 0.8);
    static final Category AIRLINE = new Category("4511", "Airline", 22_000, 0.6, 0.0);
    static final Category JEWELRY = new Category("5944", "Jeweller", 45_000, 0.9, 0.9);
    static final Category FURNITURE = new Category("5712", "Furniture", 60_000, 0.7, 0.9);
    static final Category SUPPLIES = new Category("5111", "Office Supplies", 9_000, 0.9, 0.4);
    static final Category WHOLESALE = new Category("5300", "Wholesale Club", 25_000, 0.8, 0.9);
    // the pack's high-risk categories (pack.yaml, lists.high_risk_mcc)
    static final Category GAMBLING = new Category("7995", "Betting", 2_000, 0.8, 0.0);
    static final Category CRYPTO = new Category("6051", "Crypto Exchange", 15_000, 1.0, 0.0);
    static final Category MONEY_TRANSFER = new Category("4829", "Money Transfer", 20_000, 0.8, 0.1);
    static final Category STORED_VALUE =
            new Category("6540", "Prepaid Card Load", 10_000, 0.6, 0.0);

    /**
     * What a consumer spends on, weighted by share of card payments (count, not value): groceries
     * and eating out lead, as in every card-payment breakdown.
     */
    static final List<Category> CONSUMER_SPEND =
            List.of(
                    GROCERY,
                    GROCERY,
                    GROCERY,
                    GROCERY,
                    GROCERY,
                    GROCERY,
                    RESTAURANT,
                    RESTAURANT,
                    FAST_FOOD,
                    FAST_FOOD,
                    FAST_FOOD,
                    FUEL,
                    FUEL,
                    TRANSIT,
                    TRANSIT,
                    PHARMACY,
                    DEPARTMENT,
                    CLOTHING,
                    ELECTRONICS,
                    HOME,
                    ONLINE,
                    ONLINE,
                    ONLINE,
                    DIGITAL);

    /** What a small business pays by card. */
    static final List<Category> BUSINESS_SPEND =
            List.of(
                    SUPPLIES,
                    SUPPLIES,
                    WHOLESALE,
                    WHOLESALE,
                    FUEL,
                    FUEL,
                    TELECOM,
                    ONLINE,
                    RESTAURANT);

    /** Great-circle distance in kilometres (haversine, mean Earth radius). */
    static double distanceKm(double lat1, double lon1, double lat2, double lon2) {
        double p1 = Math.toRadians(lat1);
        double p2 = Math.toRadians(lat2);
        double dp = p2 - p1;
        double dl = Math.toRadians(lon2 - lon1);
        double a =
                Math.sin(dp / 2) * Math.sin(dp / 2)
                        + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
        return 6_371.0 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
    }

    static double distanceKm(City a, City b) {
        return distanceKm(a.latitude(), a.longitude(), b.latitude(), b.longitude());
    }
}
