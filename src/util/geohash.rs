//! Redis's geo math, reproduced operation for operation so GEOADD scores,
//! GEOPOS coordinates, GEODIST distances, GEOHASH strings and GEOSEARCH
//! results are the same bits and bytes Redis produces.
//!
//! A position is stored as a sorted-set score: a 52-bit geohash interleaving
//! 26 longitude bits (odd positions) with 26 latitude bits (even positions)
//! over longitude -180..180 and the Web Mercator latitude range
//! ±85.05112878. It decodes to the centre of its cell, which is why GEOPOS
//! never returns exactly what GEOADD was given. Nothing here allocates
//! except the text helpers, which append to a caller's buffer.
//!
//! GEOSEARCH: [`Shape::search_ranges`] gives the score ranges to scan (the
//! cell around the centre at an estimated precision and its neighbours, in
//! Redis's order) and [`Shape::distance_if_within`] filters each candidate;
//! the command sorts by distance with a stable sort when asked (Redis's
//! `qsort` on glibc is a stable merge sort) and replies distances divided by
//! the shape's unit conversion.

/// Longitude limits.
pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;
/// Latitude limits (the Web Mercator square).
pub const LAT_MIN: f64 = -85.051_128_78;
pub const LAT_MAX: f64 = 85.051_128_78;

/// Bits per coordinate in a stored score.
const STEP_MAX: u32 = 26;
/// Earth radius Redis's haversine uses, in metres.
const EARTH_RADIUS_M: f64 = 6_372_797.560_856;
/// Half the Mercator world's width in metres, the step estimate's yardstick.
const MERCATOR_MAX: f64 = 20_037_726.37;
const DEGREES_TO_RADIANS: f64 = std::f64::consts::PI / 180.0;
const GEOHASH_ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    min: f64,
    max: f64,
}

const LON_RANGE: Range = Range {
    min: LON_MIN,
    max: LON_MAX,
};
const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};
/// The latitude range of the standard geohash, which GEOHASH re-encodes to.
const STANDARD_LAT_RANGE: Range = Range {
    min: -90.0,
    max: 90.0,
};

/// A geohash cell: `2 * step` interleaved bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    bits: u64,
    step: u32,
}

/// The longitude and latitude extent of a cell.
#[derive(Debug, Clone, Copy)]
struct Area {
    lon: Range,
    lat: Range,
}

/// Whether GEOADD (and FROMLONLAT) accept the pair.
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    (LON_MIN..=LON_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// The error reply for an out-of-range pair (without the leading `-`):
/// both numbers in C's `%f`.
pub fn invalid_lon_lat_error(lon: f64, lat: f64) -> String {
    format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")
}

/// Encodes a position into a cell of `step` bits per coordinate, or `None`
/// outside the Mercator limits or the given ranges. The offsets are
/// truncated to integers, so the top edge of a range lands one past the
/// last cell, as in Redis.
fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u32) -> Option<Cell> {
    let inside = |range: Range, v: f64| (range.min..=range.max).contains(&v);
    if !valid_lon_lat(lon, lat) || !inside(lat_range, lat) || !inside(lon_range, lon) {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * cells;
    Some(Cell {
        bits: interleave(lat_offset as u32, lon_offset as u32),
        step,
    })
}

/// Spreads `even` over the even bits and `odd` over the odd bits.
fn interleave(even: u32, odd: u32) -> u64 {
    spread(even) | spread(odd) << 1
}

fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | x << 16) & 0x0000_ffff_0000_ffff;
    x = (x | x << 8) & 0x00ff_00ff_00ff_00ff;
    x = (x | x << 4) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | x << 2) & 0x3333_3333_3333_3333;
    (x | x << 1) & 0x5555_5555_5555_5555
}

/// The inverse of [`spread`] for the even bits of `x`.
fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | x >> 1) & 0x3333_3333_3333_3333;
    x = (x | x >> 2) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | x >> 4) & 0x00ff_00ff_00ff_00ff;
    x = (x | x >> 8) & 0x0000_ffff_0000_ffff;
    (x | x >> 16) as u32
}

/// The extent of a cell (all 64 bits count, so out-of-range bits give
/// areas beyond the ranges, which callers clamp).
fn decode(lon_range: Range, lat_range: Range, cell: Cell) -> Area {
    let cells = (1u64 << cell.step) as f64;
    // `index + 1` wraps in 32 bits as Redis's does (only garbage scores
    // have an all-ones index).
    let extent = |range: Range, index: u32| Range {
        min: range.min + (f64::from(index) / cells) * (range.max - range.min),
        max: range.min + (f64::from(index.wrapping_add(1)) / cells) * (range.max - range.min),
    };
    Area {
        lon: extent(lon_range, squash(cell.bits >> 1)),
        lat: extent(lat_range, squash(cell.bits)),
    }
}

/// The GEOADD score of a position, `None` outside the limits.
pub fn encode_score(lon: f64, lat: f64) -> Option<f64> {
    encode(LON_RANGE, LAT_RANGE, lon, lat, STEP_MAX).map(|cell| cell.bits as f64)
}

/// The position GEOPOS reports for a score: the centre of its cell,
/// clamped to the limits. Any score decodes; like Redis's C cast, negative
/// and huge scores wrap or saturate to some bit pattern first.
pub fn decode_score(score: f64) -> (f64, f64) {
    let cell = Cell {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    let area = decode(LON_RANGE, LAT_RANGE, cell);
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)double` as x86-64 compilers emit it: a signed conversion
/// below 2^63 (negative values wrap, NaN and -inf give 2^63), otherwise a
/// signed conversion of `x - 2^63` with the top bit flipped (2^64 and up
/// give 0).
fn c_double_to_u64(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let signed = |v: f64| {
        if v.is_nan() || v >= TWO_63 {
            i64::MIN
        } else {
            v as i64
        }
    };
    if x.is_nan() || x < TWO_63 {
        signed(x) as u64
    } else {
        signed(x - TWO_63) as u64 ^ 1 << 63
    }
}

/// GEOHASH's 11-character string for a score: the decoded position
/// re-encoded over the standard ±90 latitude range, 5 bits a character; the
/// 11th character would need bits the 52-bit hash lacks, so it is always
/// `0`.
pub fn geohash_string(score: f64) -> [u8; 11] {
    let (lon, lat) = decode_score(score);
    let bits = encode(LON_RANGE, STANDARD_LAT_RANGE, lon, lat, STEP_MAX).map_or(0, |c| c.bits);
    let mut text = [GEOHASH_ALPHABET[0]; 11];
    for (i, ch) in text.iter_mut().take(10).enumerate() {
        *ch = GEOHASH_ALPHABET[(bits >> (52 - (i + 1) * 5) & 0x1f) as usize];
    }
    text
}

fn radians(degrees: f64) -> f64 {
    degrees * DEGREES_TO_RADIANS
}

fn degrees(radians: f64) -> f64 {
    radians / DEGREES_TO_RADIANS
}

/// Metres between two latitudes along a meridian.
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (radians(lat2) - radians(lat1)).abs()
}

/// Great-circle distance in metres (haversine), as GEODIST computes it.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((radians(lon2) - radians(lon1)) / 2.0).sin();
    // Same meridian: the cheaper formula Redis switches to.
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1, lat2) = (radians(lat1), radians(lat2));
    let u = ((lat2 - lat1) / 2.0).sin();
    let a = u * u + lat1.cos() * lat2.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// Metres per unit for a GEO unit argument (`m`, `km`, `ft`, `mi`, any
/// case); `None` means [`UNIT_ERROR`]. Like Redis's C string compare, the
/// argument ends at its first NUL byte.
pub fn unit_to_meters(unit: &[u8]) -> Option<f64> {
    let units = [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)];
    super::keyword_lookup(unit, &units)
}

/// The reply to an unknown unit (without the leading `-`).
pub const UNIT_ERROR: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";

/// Appends a distance (already divided by the unit) as GEODIST and WITHDIST
/// spell it: rounded to an integer number of ten-thousandths (ties to even,
/// after the scaling multiplication), printed with exactly 4 decimals.
pub fn write_distance(buf: &mut Vec<u8>, d: f64) {
    let scaled = (d * 10_000.0).round_ties_even();
    // Out of i64 range C's llrint yields i64::MIN; distances never get there.
    let scaled = if scaled.abs() < 9.2e18 {
        scaled as i64
    } else {
        i64::MIN
    };
    if scaled < 0 {
        buf.push(b'-');
    }
    let magnitude = scaled.unsigned_abs();
    buf.extend_from_slice(itoa::Buffer::new().format(magnitude / 10_000).as_bytes());
    let fraction = (magnitude % 10_000) as u16;
    buf.push(b'.');
    for divisor in [1000, 100, 10, 1] {
        buf.push(b'0' + (fraction / divisor % 10) as u8);
    }
}

/// Appends a coordinate as GEOPOS and WITHCOORD spell it (in RESP2 bulk
/// strings and RESP3 doubles alike): C's `%.17Lf` of the value, trailing
/// zeros and a bare trailing point removed, `-0` written `0`.
pub fn write_coordinate(buf: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    // The value is exactly representable, so Rust's exact decimal expansion
    // rounded to 17 places is the text glibc prints for the long double.
    let start = buf.len();
    write!(buf, "{v:.17}").expect("writing to a Vec cannot fail");
    if buf[start..].contains(&b'.') {
        while buf.last() == Some(&b'0') {
            buf.pop();
        }
        if buf.last() == Some(&b'.') {
            buf.pop();
        }
    }
    if &buf[start..] == b"-0" {
        buf.truncate(start);
        buf.push(b'0');
    }
}

/// The area a GEOSEARCH (or GEORADIUS) looks in, in the units it was given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Centre longitude and latitude in degrees.
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    /// Metres per unit of `extent` (see [`unit_to_meters`]).
    pub meters_per_unit: f64,
}

/// A search shape's size, in the search's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extent {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A range of scores to scan: `min <= score < max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
}

impl Shape {
    /// The metres from the centre that the search must reach.
    fn reach_meters(&self) -> f64 {
        let reach = match self.extent {
            Extent::Radius(radius) => radius,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        reach * self.meters_per_unit
    }

    /// Half the shape's width and height in metres.
    fn half_sizes_meters(&self) -> (f64, f64) {
        match self.extent {
            Extent::Radius(radius) => {
                let r = self.meters_per_unit * radius;
                (r, r)
            }
            Extent::Box { width, height } => (
                self.meters_per_unit * (width / 2.0),
                self.meters_per_unit * (height / 2.0),
            ),
        }
    }

    /// The longitude/latitude box around the shape.
    fn bounding_box(&self) -> Area {
        let (half_width, half_height) = self.half_sizes_meters();
        let lat_delta = degrees(half_height / EARTH_RADIUS_M);
        let lon_delta_at = |lat: f64| degrees(half_width / EARTH_RADIUS_M / radians(lat).cos());
        // The box is widest on the side nearer a pole.
        let lon_delta = if self.lat < 0.0 {
            lon_delta_at(self.lat - lat_delta)
        } else {
            lon_delta_at(self.lat + lat_delta)
        };
        Area {
            lon: Range {
                min: self.lon - lon_delta,
                max: self.lon + lon_delta,
            },
            lat: Range {
                min: self.lat - lat_delta,
                max: self.lat + lat_delta,
            },
        }
    }

    /// The score ranges to scan, in the order Redis scans them: the centre's
    /// cell, then north, south, east, west, north-east, north-west,
    /// south-east, south-west (neighbours wrap around at the edges). Cells
    /// that cannot touch the shape are left out, and so is a cell equal to
    /// the one scanned just before it (except right after the centre's, a
    /// quirk that can list the centre's cell twice for huge radii).
    pub fn search_ranges(&self) -> Vec<ScoreRange> {
        let Some(cells) = self.search_cells() else {
            return Vec::new();
        };
        let mut ranges = Vec::with_capacity(cells.len());
        let mut last_scanned: Option<(usize, Cell)> = None;
        for (i, cell) in cells.iter().enumerate() {
            let Some(cell) = *cell else { continue };
            if let Some((last_index, last)) = last_scanned
                && last_index != 0
                && last == cell
            {
                continue;
            }
            let shift = 52 - cell.step * 2;
            ranges.push(ScoreRange {
                min: (cell.bits << shift) as f64,
                max: ((cell.bits + 1) << shift) as f64,
            });
            last_scanned = Some((i, cell));
        }
        ranges
    }

    /// The centre's cell and its 8 neighbours (`None` where pruned), at the
    /// precision the shape's size calls for; `None` if the centre is not a
    /// valid position.
    fn search_cells(&self) -> Option<[Option<Cell>; 9]> {
        let bounds = self.bounding_box();
        let mut step = estimate_step(self.reach_meters(), self.lat);
        let mut centre = encode(LON_RANGE, LAT_RANGE, self.lon, self.lat, step)?;
        let mut neighbours = Neighbours::of(centre);
        // Redis checks a coarser step only for adjacent cells too close to
        // the box edge, and then tries one step coarser.
        let edge_too_close = {
            let area = |cell| decode(LON_RANGE, LAT_RANGE, cell);
            area(neighbours.north).lat.max < bounds.lat.max
                || area(neighbours.south).lat.min > bounds.lat.min
                || area(neighbours.east).lon.max < bounds.lon.max
                || area(neighbours.west).lon.min > bounds.lon.min
        };
        if step > 1 && edge_too_close {
            step -= 1;
            centre = encode(LON_RANGE, LAT_RANGE, self.lon, self.lat, step)?;
            neighbours = Neighbours::of(centre);
        }
        let n = neighbours;
        let mut cells = [
            Some(centre),
            Some(n.north),
            Some(n.south),
            Some(n.east),
            Some(n.west),
            Some(n.north_east),
            Some(n.north_west),
            Some(n.south_east),
            Some(n.south_west),
        ];
        if step >= 2 {
            let area = decode(LON_RANGE, LAT_RANGE, centre);
            // Indexes into `cells` of each side's three neighbours.
            let mut prune = |side: [usize; 3], useless: bool| {
                if useless {
                    side.iter().for_each(|&i| cells[i] = None);
                }
            };
            prune([2, 7, 8], area.lat.min < bounds.lat.min);
            prune([1, 5, 6], area.lat.max > bounds.lat.max);
            prune([4, 6, 8], area.lon.min < bounds.lon.min);
            prune([3, 5, 7], area.lon.max > bounds.lon.max);
        }
        Some(cells)
    }

    /// The distance in metres from the centre to a stored position, if the
    /// position lies within the shape (on the edge counts). A box tests the
    /// north-south distance first, then the east-west distance along the
    /// point's latitude.
    pub fn distance_if_within(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(radius) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= radius * self.meters_per_unit).then_some(d)
            }
            Extent::Box { width, height } => {
                let (width_m, height_m) =
                    (width * self.meters_per_unit, height * self.meters_per_unit);
                if lat_distance(lat, self.lat) > height_m / 2.0
                    || distance(lon, lat, self.lon, lat) > width_m / 2.0
                {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }
}

/// The precision (bits per coordinate) whose cells are about as big as a
/// search reaching `reach_meters` from a centre at latitude `lat`.
fn estimate_step(reach_meters: f64, lat: f64) -> u32 {
    if reach_meters == 0.0 {
        return STEP_MAX;
    }
    let mut step: i32 = 1;
    let mut reach = reach_meters;
    while reach < MERCATOR_MAX {
        reach *= 2.0;
        step += 1;
    }
    step -= 2;
    // Meridians converge: near the poles cells are narrower than they look.
    if lat.abs() > 66.0 {
        step -= 1;
        if lat.abs() > 80.0 {
            step -= 1;
        }
    }
    step.clamp(1, STEP_MAX as i32) as u32
}

/// The 8 cells around a cell, at its precision.
#[derive(Debug, Clone, Copy)]
struct Neighbours {
    north: Cell,
    south: Cell,
    east: Cell,
    west: Cell,
    north_east: Cell,
    north_west: Cell,
    south_east: Cell,
    south_west: Cell,
}

impl Neighbours {
    fn of(cell: Cell) -> Self {
        let at = |east: i8, north: i8| cell.shifted(east, north);
        Neighbours {
            north: at(0, 1),
            south: at(0, -1),
            east: at(1, 0),
            west: at(-1, 0),
            north_east: at(1, 1),
            north_west: at(-1, 1),
            south_east: at(1, -1),
            south_west: at(-1, -1),
        }
    }
}

impl Cell {
    /// The cell `east` columns and `north` rows away (each -1, 0 or 1),
    /// wrapping around at the edges of the grid.
    fn shifted(self, east: i8, north: i8) -> Cell {
        const ODD: u64 = 0xaaaa_aaaa_aaaa_aaaa;
        const EVEN: u64 = 0x5555_5555_5555_5555;
        let used = 64 - self.step * 2;
        let step_along = |bits: u64, lane: u64, other_lane: u64, d: i8| {
            // Filling the other lane with ones lets carries and borrows
            // ripple through this lane's bits only.
            let fill = other_lane >> used;
            let moved = match d {
                0 => return bits,
                1 => bits.wrapping_add(fill + 1),
                _ => (bits | fill).wrapping_sub(fill + 1),
            };
            moved & (lane >> used)
        };
        let lon = step_along(self.bits & ODD, ODD, EVEN, east);
        let lat = step_along(self.bits & EVEN, EVEN, ODD, north);
        Cell {
            bits: lon | lat,
            step: self.step,
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;
