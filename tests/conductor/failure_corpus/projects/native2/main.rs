fn main() {
    let count: i32 = "three";  // BUG:rust
    println!("{}", count);
}
