//! Expected values come from a real redis-server 7.0.15 (see `vectors.rs`
//! for the commands behind each table).

use super::vectors::*;
use super::*;
use proptest::prelude::*;

fn sha1_hex(text: &str) -> String {
    sha1_smol::Sha1::from(text).digest().to_string()
}

fn coordinate_text(v: f64) -> String {
    let mut buf = Vec::new();
    write_coordinate(&mut buf, v);
    String::from_utf8(buf).unwrap()
}

fn distance_text(d: f64) -> String {
    let mut buf = Vec::new();
    write_distance(&mut buf, d);
    String::from_utf8(buf).unwrap()
}

fn num(text: &str) -> f64 {
    text.parse().unwrap()
}

#[test]
fn geoadd_geopos_and_geohash_match_redis_for_every_recorded_point() {
    for &(lon, lat, score, pos_lon, pos_lat, hash) in POINTS {
        let stored = encode_score(num(lon), num(lat)).unwrap();
        assert_eq!(stored, score as f64, "GEOADD {lon} {lat}");
        let (decoded_lon, decoded_lat) = decode_score(stored);
        assert_eq!(
            coordinate_text(decoded_lon),
            pos_lon,
            "GEOPOS of {lon} {lat}"
        );
        assert_eq!(
            coordinate_text(decoded_lat),
            pos_lat,
            "GEOPOS of {lon} {lat}"
        );
        assert_eq!(
            &geohash_string(stored),
            hash.as_bytes(),
            "GEOHASH of {lon} {lat}"
        );
    }
}

#[test]
fn geodist_matches_redis_in_every_unit() {
    for &(a, b, unit, reply) in DISTANCES {
        let position =
            |i: usize| decode_score(encode_score(num(POINTS[i].0), num(POINTS[i].1)).unwrap());
        let ((lon1, lat1), (lon2, lat2)) = (position(a), position(b));
        let meters = unit_to_meters(unit.as_bytes()).unwrap();
        assert_eq!(
            distance_text(distance(lon1, lat1, lon2, lat2) / meters),
            reply,
            "GEODIST p{a} p{b} {unit}"
        );
    }
}

#[test]
fn out_of_range_pairs_are_refused_with_redis_wording() {
    // GEOADD g <lon> <lat> m replies (RESP error line, without the '-').
    let cases = [
        (
            200.0,
            10.0,
            "ERR invalid longitude,latitude pair 200.000000,10.000000",
        ),
        (
            f64::INFINITY,
            0.0,
            "ERR invalid longitude,latitude pair inf,0.000000",
        ),
        (
            10.0,
            f64::NEG_INFINITY,
            "ERR invalid longitude,latitude pair 10.000000,-inf",
        ),
        (
            10.0,
            85.06,
            "ERR invalid longitude,latitude pair 10.000000,85.060000",
        ),
        (
            1e-7,
            85.051128781,
            "ERR invalid longitude,latitude pair 0.000000,85.051129",
        ),
        (
            13.36,
            100.0,
            "ERR invalid longitude,latitude pair 13.360000,100.000000",
        ),
    ];
    for (lon, lat, reply) in cases {
        assert!(!valid_lon_lat(lon, lat));
        assert_eq!(encode_score(lon, lat), None);
        assert_eq!(invalid_lon_lat_error(lon, lat), reply);
    }
    for (lon, lat) in [
        (180.0, LAT_MAX),
        (-180.0, LAT_MIN),
        (0.0, 0.0),
        (-0.0, -0.0),
    ] {
        assert!(valid_lon_lat(lon, lat));
    }
}

#[test]
fn units_are_case_insensitive_and_end_at_a_nul_byte() {
    // GEODIST g e3 pal km / MI / fT work; GEODIST ... foo is refused;
    // GEODIST s s0 s1 "m\0zz" answers in metres.
    assert_eq!(unit_to_meters(b"m"), Some(1.0));
    assert_eq!(unit_to_meters(b"KM"), Some(1000.0));
    assert_eq!(unit_to_meters(b"fT"), Some(0.3048));
    assert_eq!(unit_to_meters(b"MI"), Some(1609.34));
    assert_eq!(unit_to_meters(b"m\0zz"), Some(1.0));
    for bad in [&b"foo"[..], b"", b"kmm", b"\0m", b"meters"] {
        assert_eq!(unit_to_meters(bad), None, "{bad:?}");
    }
    assert_eq!(
        UNIT_ERROR,
        "ERR unsupported unit provided. please use M, KM, FT, MI"
    );
}

#[test]
fn scores_no_geoadd_could_write_decode_as_redis_decodes_them() {
    // ZADD w <score> <member>; GEOPOS w <member>; GEOHASH w <member>.
    let top = ("180", "85.0511287799999991", "bp05b5048p0");
    let bottom = (
        "-179.99999731779098511",
        "-85.05112751263942528",
        "00bh0hbj200",
    );
    let cases = [
        (-5.0, top),
        (1e30, bottom),
        (f64::INFINITY, bottom),
        (
            f64::NEG_INFINITY,
            ("180", "-85.05112751263942528", "00bh0hbj200"),
        ),
        (
            9007199254740993.0,
            ("180", "-85.05112751263942528", "00bh0hbj200"),
        ),
        (
            4503599627370496.0,
            (
                "-179.99999731779098511",
                "85.0511287799999991",
                "bp05b5048p0",
            ),
        ),
        (
            18014398509481984.0,
            (
                "-179.99999731779098511",
                "85.0511287799999991",
                "bp05b5048p0",
            ),
        ),
    ];
    for (score, (lon, lat, hash)) in cases {
        let (decoded_lon, decoded_lat) = decode_score(score);
        assert_eq!(coordinate_text(decoded_lon), lon, "score {score}");
        assert_eq!(coordinate_text(decoded_lat), lat, "score {score}");
        assert_eq!(&geohash_string(score), hash.as_bytes(), "score {score}");
    }
}

#[test]
fn longitude_180_loses_a_latitude_bit_in_the_double_score() {
    // GEOADD g 180 10 a -180 10 b; ZSCORE g a; GEOPOS g a b; GEODIST g a b.
    let a = encode_score(180.0, 10.0).unwrap();
    let b = encode_score(-180.0, 10.0).unwrap();
    assert_eq!(a, 10138940401276180.0);
    let (lon_a, lat_a) = decode_score(a);
    let (lon_b, lat_b) = decode_score(b);
    assert_eq!(coordinate_text(lon_a), "180");
    assert_eq!(coordinate_text(lat_a), "9.99999839351156794");
    assert_eq!(coordinate_text(lon_b), "-179.99999731779098511");
    assert_eq!(coordinate_text(lat_b), "10.00000092823272979");
    assert_eq!(
        distance_text(distance(lon_a, lat_a, lon_b, lat_b)),
        "0.4072"
    );
}

#[test]
fn distances_print_with_four_decimals_and_coordinates_without_trailing_zeros() {
    assert_eq!(distance_text(0.0), "0.0000");
    assert_eq!(distance_text(-0.0), "0.0000");
    assert_eq!(distance_text(0.00004), "0.0000");
    assert_eq!(distance_text(0.00006), "0.0001");
    assert_eq!(distance_text(12.5), "12.5000");
    assert_eq!(distance_text(4454733.0204), "4454733.0204");
    assert_eq!(coordinate_text(180.0), "180");
    assert_eq!(coordinate_text(-0.0), "0");
    assert_eq!(coordinate_text(1e-30), "0");
    assert_eq!(coordinate_text(-1e-30), "0");
    assert_eq!(coordinate_text(0.5), "0.5");
}

/// The points of the GEOSEARCH vectors: seven clusters (Sicily, both sides
/// of the antimeridian, both polar limits, a tiny one at 0,0 and a wide one
/// in Asia) drawn with a 64-bit LCG and sent to GEOADD as `%.6f` text.
fn search_points() -> Vec<(String, f64)> {
    const CLUSTERS: [(f64, f64, f64); 7] = [
        (13.36, 38.11, 2.0),
        (179.9, 10.0, 0.5),
        (-179.95, -10.0, 0.5),
        (0.0, 84.9, 1.0),
        (-40.0, -84.9, 3.0),
        (0.0, 0.0, 0.01),
        (100.0, 45.0, 40.0),
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next_unit = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut members: Vec<(String, f64)> = (0..280)
        .map(|i| {
            let (lon, lat, spread) = CLUSTERS[i % CLUSTERS.len()];
            let (u, v) = (next_unit(), next_unit());
            let lon = (lon + (u - 0.5) * spread * 2.0).clamp(-180.0, 180.0);
            let lat = (lat + (v - 0.5) * spread).clamp(-85.05, 85.05);
            let (lon, lat) = (num(&format!("{lon:.6}")), num(&format!("{lat:.6}")));
            (format!("s{i}"), encode_score(lon, lat).unwrap())
        })
        .collect();
    // A sorted set's order: by score, then by member bytes.
    members.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    members
}

/// GEOSEARCH as the command will run it over a sorted set in score order:
/// scan each range, keep points inside the shape, stop at an ANY limit,
/// then sort and cut as asked. Returns (member, distance in the unit).
fn geosearch(points: &[(String, f64)], query: &str) -> Vec<(String, f64)> {
    let words: Vec<&str> = query.split(' ').collect();
    let (lon, lat, rest) = match words[0] {
        "FROMLONLAT" => (num(words[1]), num(words[2]), &words[3..]),
        _ => {
            let score = points.iter().find(|p| p.0 == words[1]).unwrap().1;
            let (lon, lat) = decode_score(score);
            (lon, lat, &words[2..])
        }
    };
    let (extent, unit, options) = match rest[0] {
        "BYRADIUS" => (Extent::Radius(num(rest[1])), rest[2], &rest[3..]),
        _ => (
            Extent::Box {
                width: num(rest[1]),
                height: num(rest[2]),
            },
            rest[3],
            &rest[4..],
        ),
    };
    let shape = Shape {
        lon,
        lat,
        extent,
        meters_per_unit: unit_to_meters(unit.as_bytes()).unwrap(),
    };
    let count = options
        .iter()
        .position(|&w| w == "COUNT")
        .map(|i| options[i + 1].parse::<usize>().unwrap());
    let any = options.contains(&"ANY");
    let limit = if any { count } else { None };
    let mut found = Vec::new();
    'ranges: for range in shape.search_ranges() {
        if limit.is_some_and(|l| found.len() >= l) {
            break;
        }
        for (member, score) in points {
            if !(range.min..range.max).contains(score) {
                continue;
            }
            let (lon, lat) = decode_score(*score);
            if let Some(d) = shape.distance_if_within(lon, lat) {
                found.push((member.clone(), d / shape.meters_per_unit));
            }
            if limit.is_some_and(|l| found.len() >= l) {
                break 'ranges;
            }
        }
    }
    if options.contains(&"DESC") {
        found.sort_by(|a, b| b.1.total_cmp(&a.1));
    } else if options.contains(&"ASC") || (count.is_some() && !any) {
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
    }
    found.truncate(count.unwrap_or(usize::MAX));
    found
}

#[test]
fn geosearch_by_radius_and_box_finds_what_redis_finds_in_its_order() {
    let points = search_points();
    for &(query, n, first, sha) in SEARCHES {
        let found: Vec<String> = geosearch(&points, query)
            .into_iter()
            .map(|(member, d)| format!("{member}:{}", distance_text(d)))
            .collect();
        assert_eq!(found.len(), n, "{query}");
        assert_eq!(found[..n.min(3)].join(" "), first, "{query}");
        assert_eq!(sha1_hex(&found.join(" ")), sha, "{query}");
    }
}

#[test]
fn geosearch_sorting_and_limits_match_redis() {
    let points = search_points();
    for &(query, n, first, sha) in SORTED {
        let found: Vec<String> = geosearch(&points, query).into_iter().map(|p| p.0).collect();
        assert_eq!(found.len(), n, "{query}");
        assert_eq!(found[..n.min(3)].join(" "), first, "{query}");
        assert_eq!(sha1_hex(&found.join(" ")), sha, "{query}");
    }
}

#[test]
fn withcoord_withdist_withhash_items_match_redis() {
    // GEOSEARCH s FROMLONLAT 13.36 38.11 BYRADIUS 50 km ASC COUNT 3
    // WITHCOORD WITHDIST WITHHASH.
    let expected = [
        (
            "s273",
            "11.6668",
            3479077213260353u64,
            "13.23329240083694458",
            "38.14267030773775247",
        ),
        (
            "s98",
            "13.9160",
            3479100369866702,
            "13.51212948560714722",
            "38.07368787138633337",
        ),
        (
            "s259",
            "19.0926",
            3479072909079658,
            "13.24508875608444214",
            "37.96414229232203041",
        ),
    ];
    let points = search_points();
    let found = geosearch(&points, "FROMLONLAT 13.36 38.11 BYRADIUS 50 km ASC COUNT 3");
    assert_eq!(found.len(), expected.len());
    for ((member, d), (name, dist, hash, lon, lat)) in found.iter().zip(expected) {
        let score = points.iter().find(|p| &p.0 == member).unwrap().1;
        let (plon, plat) = decode_score(score);
        assert_eq!(
            (member.as_str(), distance_text(*d), score as u64),
            (name, dist.to_owned(), hash)
        );
        assert_eq!(
            (coordinate_text(plon), coordinate_text(plat)),
            (lon.to_owned(), lat.to_owned())
        );
    }
}

#[test]
fn points_on_the_northern_limit_are_found_only_from_their_own_cell() {
    // GEOADD t 0 85.05112878 p 0 85.05 q; GEOSEARCH t FROMLONLAT 0 85
    // BYRADIUS 100 km WITHDIST -> only q 5.5613; GEOSEARCH t FROMMEMBER p
    // BYRADIUS 100 km WITHDIST -> p 0.0000, q 0.1256. The top latitude
    // encodes one row past the grid, which no neighbour range covers.
    let mut points = vec![
        ("p".to_owned(), encode_score(0.0, LAT_MAX).unwrap()),
        ("q".to_owned(), encode_score(0.0, 85.05).unwrap()),
    ];
    points.sort_by(|a, b| a.1.total_cmp(&b.1));
    let texts = |found: Vec<(String, f64)>| {
        found
            .into_iter()
            .map(|(m, d)| format!("{m}:{}", distance_text(d)))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        texts(geosearch(&points, "FROMLONLAT 0 85 BYRADIUS 100 km")),
        ["q:5.5613"]
    );
    assert_eq!(
        texts(geosearch(&points, "FROMMEMBER p BYRADIUS 100 km")),
        ["p:0.0000", "q:0.1256"]
    );
}

#[test]
fn near_the_poles_a_large_radius_can_miss_a_close_point_as_in_redis() {
    // GEOADD t -0.9306111931800842 79.25222286095769 p; GEOSEARCH t
    // FROMLONLAT 0 79.25222403480117 BYRADIUS 1209.3874732377517 km -> empty,
    // but BYRADIUS 1000 km -> p 19.3027: the polar step reduction makes the
    // cells too coarse for the pruning that follows.
    let points = vec![(
        "p".to_owned(),
        encode_score(-0.9306111931800842, 79.25222286095769).unwrap(),
    )];
    let query = |radius: &str| {
        let found = geosearch(
            &points,
            &format!("FROMLONLAT 0 79.25222403480117 BYRADIUS {radius} km"),
        );
        found
            .into_iter()
            .map(|(m, d)| format!("{m}:{}", distance_text(d)))
            .collect::<Vec<_>>()
    };
    assert!(query("1209.3874732377517").is_empty());
    assert_eq!(query("1000"), ["p:19.3027"]);
}

#[test]
fn neighbours_wrap_around_the_grid_edges() {
    let corner = Cell { bits: 0, step: 2 };
    let n = Neighbours::of(corner);
    // Step 2: longitude column in odd bits, latitude row in even bits.
    let column_row = |c: Cell| (squash(c.bits >> 1), squash(c.bits));
    assert_eq!(column_row(n.west), (3, 0));
    assert_eq!(column_row(n.south), (0, 3));
    assert_eq!(column_row(n.south_west), (3, 3));
    assert_eq!(column_row(n.north_east), (1, 1));
    assert_eq!(column_row(Neighbours::of(n.south_west).north_east), (0, 0));
}

proptest! {
    #[test]
    fn any_score_decodes_to_a_valid_position(score in any::<f64>()) {
        let (lon, lat) = decode_score(score);
        prop_assert!(valid_lon_lat(lon, lat));
        let hash = geohash_string(score);
        prop_assert!(hash.iter().all(|c| GEOHASH_ALPHABET.contains(c)));
    }

    #[test]
    fn a_decoded_position_re_encodes_to_its_own_score(
        lon in LON_MIN..LON_MAX,
        lat in LAT_MIN..LAT_MAX,
    ) {
        let score = encode_score(lon, lat).unwrap();
        let (dlon, dlat) = decode_score(score);
        prop_assert_eq!(encode_score(dlon, dlat), Some(score));
        // The cell is under a metre across at the equator.
        prop_assert!(distance(lon, lat, dlon, dlat) < 1.0);
    }

    #[test]
    fn searches_away_from_the_poles_scan_every_point_inside_the_shape(
        centre_lon in -180.0f64..180.0,
        centre_lat in -60.0f64..60.0,
        radius_km in 0.0f64..1000.0,
        width_km in 0.0f64..2000.0,
        height_km in 0.0f64..2000.0,
        offsets in proptest::collection::vec((-10.0f64..10.0, -10.0f64..10.0), 1..40),
    ) {
        for extent in [Extent::Radius(radius_km), Extent::Box { width: width_km, height: height_km }] {
            let shape = Shape { lon: centre_lon, lat: centre_lat, extent, meters_per_unit: 1000.0 };
            let ranges = shape.search_ranges();
            prop_assert!(ranges.iter().all(|r| r.min < r.max && r.max <= (1u64 << 52) as f64));
            for &(dlon, dlat) in &offsets {
                // Points on the north or east limit are outside every cell
                // (see the tests above), so stay just inside them.
                let lon = (centre_lon + dlon).clamp(LON_MIN, LON_MAX - 1e-9);
                let lat = (centre_lat + dlat).clamp(LAT_MIN, LAT_MAX - 1e-9);
                let score = encode_score(lon, lat).unwrap();
                let (plon, plat) = decode_score(score);
                if shape.distance_if_within(plon, plat).is_some() {
                    let scanned = ranges.iter().any(|r| (r.min..r.max).contains(&score));
                    prop_assert!(scanned, "{shape:?} misses {plon},{plat}");
                }
            }
        }
    }

    #[test]
    fn any_search_shape_gives_well_formed_ranges(
        lon in any::<f64>(),
        lat in any::<f64>(),
        size in any::<f64>(),
        meters_per_unit in prop_oneof![Just(1.0), Just(1000.0), Just(0.3048), Just(1609.34)],
        is_box in any::<bool>(),
    ) {
        let size = size.abs();
        let extent = if is_box { Extent::Box { width: size, height: size / 3.0 } } else { Extent::Radius(size) };
        let shape = Shape { lon, lat, extent, meters_per_unit };
        let ranges = shape.search_ranges();
        prop_assert!(ranges.len() <= 9);
        prop_assert!(valid_lon_lat(lon, lat) || ranges.is_empty());
        prop_assert!(ranges.iter().all(|r| r.min < r.max));
        let _ = shape.distance_if_within(0.0, 0.0);
    }
}
