//! The Prometheus text exposition format, as far as the bench reads a service's
//! `/metrics`: its samples (a name, labels, a value), a counter summed by one label, and
//! a histogram's buckets, their difference between two scrapes and the quantiles of that
//! difference, interpolated inside the bucket the way PromQL's `histogram_quantile` does.
//!
//! Pure: it parses and computes, the scraping is the caller's.

use std::collections::BTreeMap;

/// One line of a scrape: `name{label="value",...} value [timestamp]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every sample of one scrape. Comments, blank lines and lines that do not parse are
/// left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    samples: Vec<Sample>,
}

impl Scrape {
    pub fn parse(text: &str) -> Self {
        Self {
            samples: text.lines().filter_map(sample).collect(),
        }
    }

    /// Whether any sample is named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|s| s.name == name)
    }

    /// The samples named `name`, summed over their labels: a gauge without labels is its
    /// value. `None` when there is no such sample.
    pub fn sum(&self, name: &str) -> Option<f64> {
        let mut values = self.named(name).map(|s| s.value).peekable();
        values.peek()?;
        Some(values.sum())
    }

    /// The samples named `name`, summed by the value of their label `label` (PromQL's
    /// `sum by (label)`); a sample without the label is left out.
    pub fn sum_by(&self, name: &str, label: &str) -> BTreeMap<String, f64> {
        let mut sums = BTreeMap::new();
        for sample in self.named(name) {
            if let Some(value) = sample.label(label) {
                *sums.entry(value.to_owned()).or_default() += sample.value;
            }
        }
        sums
    }

    /// The buckets of the histogram `name` (its `name_bucket` samples), summed over
    /// every label but `le`. `None` when the histogram is not in the scrape (an exporter
    /// renders a histogram only once something was recorded in it) or has no `+Inf`
    /// bucket.
    pub fn histogram(&self, name: &str) -> Option<Buckets> {
        let mut by_bound: Vec<(f64, f64)> = Vec::new();
        for sample in self.named(&format!("{name}_bucket")) {
            let Some(bound) = sample.label("le").and_then(number) else {
                continue;
            };
            match by_bound.iter_mut().find(|(b, _)| *b == bound) {
                Some((_, count)) => *count += sample.value,
                None => by_bound.push((bound, sample.value)),
            }
        }
        by_bound.sort_by(|a, b| a.0.total_cmp(&b.0));
        Buckets::new(by_bound)
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |s| s.name == name)
    }
}

/// A histogram's cumulative buckets: upper bound → observations at or below it,
/// ascending, the last one `+Inf` (every observation).
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    cumulative: Vec<(f64, f64)>,
}

impl Buckets {
    /// `None` unless the bounds ascend and the last is `+Inf`.
    pub fn new(cumulative: Vec<(f64, f64)>) -> Option<Self> {
        let ascending = cumulative.windows(2).all(|w| w[0].0 < w[1].0);
        let ends_at_infinity = cumulative
            .last()
            .is_some_and(|(bound, _)| *bound == f64::INFINITY);
        (ascending && ends_at_infinity).then_some(Self { cumulative })
    }

    /// Every observation: the `+Inf` bucket.
    pub fn count(&self) -> f64 {
        self.cumulative.last().map_or(0.0, |(_, count)| *count)
    }

    /// The observations made since `earlier` was scraped, bucket by bucket. `None` when
    /// the bounds differ or a count went down (the process restarted in between).
    pub fn since(&self, earlier: &Buckets) -> Option<Buckets> {
        if self.cumulative.len() != earlier.cumulative.len() {
            return None;
        }
        let delta = self
            .cumulative
            .iter()
            .zip(&earlier.cumulative)
            .map(|(&(bound, now), &(before_bound, before))| {
                (bound == before_bound && now >= before).then_some((bound, now - before))
            })
            .collect::<Option<Vec<_>>>()?;
        Buckets::new(delta)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) as `histogram_quantile` computes it: the bucket that
    /// holds the rank `q × count` is found and the value interpolated linearly inside
    /// it, from the bound below (0 for the first bucket) to its own. A rank in the `+Inf`
    /// bucket is answered with the highest finite bound. `None` with no observations or
    /// no finite bucket.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let (b, rank) = self.rank(q)?;
        let finite = &self.cumulative[..self.cumulative.len() - 1];
        if b == finite.len() {
            return finite.last().map(|&(bound, _)| bound);
        }
        let (end, in_bucket) = finite[b];
        if b == 0 && end <= 0.0 {
            return Some(end);
        }
        let (start, below) = if b == 0 { (0.0, 0.0) } else { finite[b - 1] };
        let in_bucket = in_bucket - below;
        if in_bucket <= 0.0 {
            return Some(end);
        }
        Some(start + (end - start) * ((rank - below) / in_bucket))
    }

    /// The bounds of the bucket that holds the `q`-quantile: the bound below (0 for the
    /// first bucket) and its own (`+Inf` for the last). The quantile is known no finer.
    pub fn bucket_of(&self, q: f64) -> Option<(f64, f64)> {
        let (b, _) = self.rank(q)?;
        let below = if b == 0 {
            0.0
        } else {
            self.cumulative[b - 1].0
        };
        Some((below, self.cumulative[b].0))
    }

    /// The index of the bucket that holds the rank `q × count`, and that rank; `None`
    /// with no observations, no finite bucket or `q` outside 0..=1.
    fn rank(&self, q: f64) -> Option<(usize, f64)> {
        let count = self.count();
        if !(0.0..=1.0).contains(&q) || count <= 0.0 || self.cumulative.len() < 2 {
            return None;
        }
        let rank = q * count;
        let last = self.cumulative.len() - 1;
        let b = self.cumulative[..last]
            .iter()
            .position(|&(_, c)| c >= rank)
            .unwrap_or(last);
        Some((b, rank))
    }
}

/// One sample line; `None` for a comment, a blank line or a line that does not parse.
fn sample(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let (name, mut rest) = line.split_at(name_end);
    let mut labels = Vec::new();
    if let Some(inside) = rest.strip_prefix('{') {
        let (parsed, after) = label_set(inside)?;
        labels = parsed;
        rest = after;
    }
    let value = number(rest.split_whitespace().next()?)?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// `key="value",...}` (the text after `{`): the labels, and the text after `}`.
fn label_set(mut text: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start().trim_start_matches(',').trim_start();
        if let Some(after) = text.strip_prefix('}') {
            return Some((labels, after));
        }
        let (key, after_key) = text.split_once('=')?;
        let (value, after_value) = quoted(after_key.trim_start().strip_prefix('"')?)?;
        labels.push((key.trim().to_owned(), value));
        text = after_value;
    }
}

/// A label value after its opening quote, with `\\`, `\"` and `\n` unescaped: the value,
/// and the text after its closing quote.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

/// A sample value or a bucket bound: a float, `+Inf`, `-Inf` or `NaN`.
fn number(text: &str) -> Option<f64> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRAPE: &str = r#"
# HELP stock_view_reads_total Stock reads, by where they were answered.
# TYPE stock_view_reads_total counter
stock_view_reads_total{source="view"} 1200
stock_view_reads_total{source="upstream"} 34
stock_view_lag_seconds 0.0042
# TYPE stock_view_event_delay_seconds histogram
stock_view_event_delay_seconds_bucket{le="0.001"} 10
stock_view_event_delay_seconds_bucket{le="0.005"} 50
stock_view_event_delay_seconds_bucket{le="0.01"} 100
stock_view_event_delay_seconds_bucket{le="+Inf"} 100
stock_view_event_delay_seconds_sum 0.4
stock_view_event_delay_seconds_count 100
http_server_request_duration_seconds_bucket{method="GET",route="/a b",le="+Inf"} 3
odd{path="C:\\dir \"x\"",} 7 1700000000000
not a sample
"#;

    fn buckets(cumulative: &[(f64, f64)]) -> Buckets {
        Buckets::new(cumulative.to_vec()).unwrap()
    }

    /// Equal but for the rounding of the interpolation.
    fn about(found: Option<f64>, expected: f64) -> bool {
        found.is_some_and(|found| (found - expected).abs() < 1e-12)
    }

    #[test]
    fn samples_are_read_with_their_labels_and_summed_by_one() {
        let scrape = Scrape::parse(SCRAPE);
        let reads = scrape.sum_by("stock_view_reads_total", "source");
        assert_eq!(reads["view"], 1200.0);
        assert_eq!(reads["upstream"], 34.0);
        assert_eq!(scrape.sum("stock_view_lag_seconds"), Some(0.0042));
        assert_eq!(scrape.sum("stock_view_reads_total"), Some(1234.0));
        assert_eq!(scrape.sum("absent"), None);
        assert!(scrape.has("stock_view_event_delay_seconds_count"));
        let odd = sample(r#"odd{path="C:\\dir \"x\"",} 7 1700000000000"#).unwrap();
        assert_eq!(odd.labels, [("path".into(), r#"C:\dir "x""#.into())]);
        assert_eq!(odd.value, 7.0);
        assert_eq!(sample("bare_inf +Inf").unwrap().value, f64::INFINITY);
        assert!(sample("# TYPE x counter").is_none());
        assert!(sample("unterminated{a=\"b 1").is_none());
    }

    #[test]
    fn a_histogram_is_its_buckets_summed_over_their_other_labels() {
        let scrape = Scrape::parse(SCRAPE);
        let delay = scrape.histogram("stock_view_event_delay_seconds").unwrap();
        assert_eq!(
            delay,
            buckets(&[
                (0.001, 10.0),
                (0.005, 50.0),
                (0.01, 100.0),
                (f64::INFINITY, 100.0)
            ])
        );
        assert_eq!(delay.count(), 100.0);
        let http = scrape
            .histogram("http_server_request_duration_seconds")
            .unwrap();
        assert_eq!(http.count(), 3.0);
        assert!(scrape.histogram("absent").is_none());
        assert!(Buckets::new(vec![(0.1, 1.0)]).is_none(), "no +Inf bucket");
    }

    #[test]
    fn quantiles_are_interpolated_inside_their_bucket_as_histogram_quantile_does() {
        let delay = buckets(&[
            (0.001, 10.0),
            (0.005, 50.0),
            (0.01, 100.0),
            (f64::INFINITY, 100.0),
        ]);
        // Rank 50 is the last of the second bucket: its upper bound.
        assert!(about(delay.quantile(0.5), 0.005));
        // Rank 5 is half way through the first bucket, which starts at 0.
        assert!(about(delay.quantile(0.05), 0.0005));
        // Rank 99 is 49 of the 50 in (0.005, 0.01].
        assert!(about(delay.quantile(0.99), 0.005 + 0.005 * 49.0 / 50.0));
        assert!(about(delay.quantile(1.0), 0.01));
        assert_eq!(delay.quantile(1.5), None);
        let empty = buckets(&[(0.001, 0.0), (f64::INFINITY, 0.0)]);
        assert_eq!(empty.quantile(0.5), None);
    }

    #[test]
    fn a_rank_past_the_last_finite_bound_is_that_bound() {
        let slow = buckets(&[(0.001, 1.0), (0.005, 2.0), (f64::INFINITY, 10.0)]);
        assert_eq!(slow.quantile(0.99), Some(0.005));
        assert_eq!(slow.bucket_of(0.99), Some((0.005, f64::INFINITY)));
        assert_eq!(slow.quantile(0.1), Some(0.001));
        assert_eq!(slow.bucket_of(0.1), Some((0.0, 0.001)));
        assert_eq!(slow.bucket_of(0.15), Some((0.001, 0.005)));
    }

    #[test]
    fn the_difference_of_two_scrapes_holds_only_what_was_observed_between() {
        let before = buckets(&[(0.001, 10.0), (0.005, 20.0), (f64::INFINITY, 20.0)]);
        let after = buckets(&[(0.001, 10.0), (0.005, 120.0), (f64::INFINITY, 121.0)]);
        let window = after.since(&before).unwrap();
        assert_eq!(
            window,
            buckets(&[(0.001, 0.0), (0.005, 100.0), (f64::INFINITY, 101.0)])
        );
        // Nothing fell in the first bucket: the interpolation starts at its bound.
        assert!(about(window.quantile(0.5), 0.001 + 0.004 * 50.5 / 100.0));
        // A restart in between resets the counts: no difference can be taken.
        assert!(before.since(&after).is_none());
        let other_bounds = buckets(&[(0.002, 0.0), (0.005, 0.0), (f64::INFINITY, 0.0)]);
        assert!(after.since(&other_bounds).is_none());
    }
}
